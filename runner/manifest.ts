import { constants } from 'node:fs';
import { access, type FileHandle, open } from 'node:fs/promises';
import path from 'node:path';
import { StageError } from './executors/types.ts';

/** What the runner needs to know from a service's package.json. */
export interface Manifest {
  scripts: Record<string, string>;
  main: string | undefined;
  hasDependencies: boolean;
}

async function fileExists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

const MAX_MANIFEST_BYTES = 1024 * 1024;

/**
 * Reads `package.json`; null when there is none, StageError when it is not
 * a plain file or does not parse. It is opened without following a symlink
 * (the runner must never read, as itself, a file the service points it
 * at), and nothing of its content is ever put in a message.
 */
export async function readManifest(serviceDir: string, servicePath: string): Promise<Manifest | null> {
  let text: string;
  let handle: FileHandle;
  try {
    handle = await open(
      path.join(serviceDir, 'package.json'),
      constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK,
    );
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    if (code === 'ELOOP')
      throw new StageError(`${servicePath}/package.json is a symlink: expected a plain file`);
    throw new StageError(`${servicePath}/package.json cannot be read (${code ?? 'error'})`);
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new StageError(`${servicePath}/package.json is not a plain file`);
    if (info.size > MAX_MANIFEST_BYTES)
      throw new StageError(`${servicePath}/package.json is larger than 1 MiB`);
    text = await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // The parser's message quotes the text: never echoed.
    throw new StageError(`${servicePath}/package.json is not valid JSON: expected a JSON object`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new StageError(`${servicePath}/package.json must hold a JSON object`);
  }
  const pkg = json as Record<string, unknown>;
  const scripts: Record<string, string> = {};
  if (typeof pkg.scripts === 'object' && pkg.scripts !== null) {
    for (const [name, value] of Object.entries(pkg.scripts))
      if (typeof value === 'string') scripts[name] = value;
  }
  const count = (field: unknown) =>
    typeof field === 'object' && field !== null ? Object.keys(field).length : 0;
  return {
    scripts,
    main: typeof pkg.main === 'string' && pkg.main.trim() ? pkg.main.trim() : undefined,
    hasDependencies:
      count(pkg.dependencies) + count(pkg.devDependencies) + count(pkg.optionalDependencies) > 0,
  };
}

/** How the service is started: `scripts.start`, else `main`, else `server.js` (npm's default). */
export type StartCommand =
  | { kind: 'node'; args: string[]; display: string }
  | { kind: 'script'; display: string };

// `node file [plain args]` with nothing a shell would interpret: started
// directly, which saves npm's start-up time and a process between us and the service.
const PLAIN_NODE = /^node((?:\s+[\w@%+=:,./-]+)+)\s*$/;

export async function startCommand(manifest: Manifest, serviceDir: string): Promise<StartCommand | null> {
  const script = manifest.scripts.start?.trim();
  if (script) {
    const plain = PLAIN_NODE.exec(script);
    if (plain) return { kind: 'node', args: plain[1]!.trim().split(/\s+/), display: script };
    return { kind: 'script', display: `npm start (${script})` };
  }
  if (manifest.main) {
    const main = path.posix.normalize(manifest.main);
    if (path.isAbsolute(main) || main === '..' || main.startsWith('../')) {
      throw new StageError(
        `package.json "main" leads outside the service directory: expected a file inside it`,
      );
    }
    return { kind: 'node', args: [manifest.main], display: `node ${manifest.main}` };
  }
  if (await fileExists(path.join(serviceDir, 'server.js'))) {
    return { kind: 'node', args: ['server.js'], display: 'node server.js' };
  }
  return null;
}

/** The install command for the lockfile present (argument arrays, never a shell). */
export async function installCommand(serviceDir: string): Promise<{ command: string; args: string[] }> {
  const has = (name: string) => fileExists(path.join(serviceDir, name));
  const npmFlags = ['--no-audit', '--no-fund', '--prefer-offline', '--no-update-notifier'];
  if ((await has('package-lock.json')) || (await has('npm-shrinkwrap.json'))) {
    return { command: 'npm', args: ['ci', ...npmFlags] };
  }
  if (await has('yarn.lock'))
    return { command: 'yarn', args: ['install', '--frozen-lockfile', '--non-interactive'] };
  if (await has('pnpm-lock.yaml')) return { command: 'pnpm', args: ['install', '--frozen-lockfile'] };
  return { command: 'npm', args: ['install', ...npmFlags] };
}
