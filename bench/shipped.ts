import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdir, readFile, readlink } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import {
  CreateDeploymentDocument,
  CreateProjectDocument,
  CreateWorkloadDocument,
  createSdk,
  type Sdk,
  StopWorkloadDocument,
} from '../sdk/index.ts';

/**
 * What users run, for the log benchmarks: `npm start` (API and runner, as
 * its start script makes them today) or the split configuration (`npm start`
 * with AGENTFORGE_RUNNER=off beside `npm run runner`), each started through
 * npm as a child process on DATABASE_URL; a real service (the log-printer
 * fixture) deployed through the API, its stdout streamed by the runner.
 */

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const FIXTURES = fileURLToPath(new URL('../test/fixtures', import.meta.url));

export type Shape = 'npm start' | 'split';

export interface Shipped {
  shape: Shape;
  url: string;
  token: string;
  sdk: Sdk;
  /** The API's process (the node process listening), and the runner's when it has its own. */
  apiPid: number;
  runnerPid: number | undefined;
  stop(): Promise<void>;
}

/** Starts the configuration and resolves once the API answers and a runner is alive. */
export async function startShipped(shape: Shape, databaseUrl: string): Promise<Shipped> {
  const token = randomBytes(24).toString('hex');
  const env = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    HOST: '127.0.0.1',
    PORT: '0',
    AGENTFORGE_API_TOKEN: token,
    AGENTFORGE_RUNNER: shape === 'split' ? 'off' : 'on',
  };
  const api = npm(['start'], env);
  const children = [api];
  try {
    const origin = await new Promise<string>((resolve, reject) => {
      let out = '';
      api.child.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const match = /(http:\/\/127\.0\.0\.1:\d+)/.exec(out);
        if (match?.[1]) resolve(match[1]);
      });
      api.child.once('exit', (code) => reject(new Error(`npm start exited with ${code}: ${out}`)));
    });
    if (shape === 'split') children.push(npm(['run', 'runner'], env));
    const url = `${origin}/graphql`;
    const sdk = createSdk({ url, token });
    const runnerPid = await aliveRunner(sdk);
    const apiPid = await listeningPid(api.child.pid as number, Number(new URL(origin).port));
    return {
      shape,
      url,
      token,
      sdk,
      apiPid,
      runnerPid: shape === 'split' ? runnerPid : undefined,
      async stop() {
        await sdk.close();
        // The runner first, as on a real shutdown: it stops the services it started.
        if (children[1]) await children[1].stop(runnerPid);
        await api.stop(apiPid);
      },
    };
  } catch (error) {
    for (const c of children) await c.stop();
    throw error;
  }
}

/**
 * BENCH_API_NODE_FLAGS (e.g. `--cpu-prof --cpu-prof-dir=prof`): node flags
 * for profiling. npm's scripts cannot take them, so the script's own
 * command (`node scripts/run.mjs <entry>`) is started with them instead of
 * npm: the same app, though not started the way users start it.
 */
const NODE_FLAGS = process.env.BENCH_API_NODE_FLAGS?.split(/\s+/).filter(Boolean) ?? [];
const SCRIPT_ENTRIES: Record<string, string> = { start: 'app/start.ts', runner: 'runner/main.ts' };

/** `npm <args>` in a process group of its own (ours to end), stdout piped, stderr shown. */
function npm(
  args: string[],
  env: NodeJS.ProcessEnv,
): { child: ChildProcess; stop(pid?: number): Promise<void> } {
  const entry = SCRIPT_ENTRIES[(args[0] === 'run' ? args[1] : args[0]) ?? ''];
  const [command, argv] =
    NODE_FLAGS.length > 0 && entry
      ? [process.execPath, [...NODE_FLAGS, 'scripts/run.mjs', entry]]
      : ['npm', ['--silent', ...args]];
  if (command !== 'npm')
    console.error(`  (BENCH_API_NODE_FLAGS: node ${argv.join(' ')} instead of npm ${args.join(' ')})`);
  const child = spawn(command, argv, {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
    detached: true,
  });
  child.stdout?.resume();
  return {
    child,
    /** One SIGTERM to the app's node process (`pid` when known: graceful shutdown); npm exits with it. */
    async stop(pid?: number) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      process.kill(pid ?? (await nodeLeaf(child.pid as number)), 'SIGTERM');
      const timer = setTimeout(() => {
        try {
          process.kill(-(child.pid as number), 'SIGKILL');
        } catch {}
      }, 30_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

async function childrenOf(pid: number): Promise<number[]> {
  const text = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '');
  return text.trim().split(/\s+/).filter(Boolean).map(Number);
}

async function descendants(pid: number): Promise<number[]> {
  const all: number[] = [];
  for (const child of await childrenOf(pid)) all.push(child, ...(await descendants(child)));
  return all;
}

/** The deepest node process of npm's chain (npm → sh → [tsx →] node), before it starts services. */
async function nodeLeaf(pid: number): Promise<number> {
  let at = pid;
  for (;;) {
    const next = [];
    for (const c of await childrenOf(at)) {
      const comm = (await readFile(`/proc/${c}/comm`, 'utf8').catch(() => '')).trim();
      if (comm === 'node' || comm === 'sh' || comm.startsWith('npm')) next.push(c);
    }
    if (next.length !== 1) return at;
    at = next[0] as number;
  }
}

/** The process below `root` that holds the listening socket of `port`. */
async function listeningPid(root: number, port: number): Promise<number> {
  const hexPort = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  const table = await readFile('/proc/net/tcp', 'utf8');
  const inodes = new Set(
    table
      .split('\n')
      .map((line) => line.trim().split(/\s+/))
      .filter((f) => f[1]?.endsWith(hexPort) && f[3] === '0A')
      .map((f) => `socket:[${f[9]}]`),
  );
  // `root` itself when it is the app (started without npm, see NODE_FLAGS).
  for (const pid of [root, ...(await descendants(root))]) {
    const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
    for (const fd of fds) {
      if (inodes.has(await readlink(`/proc/${pid}/fd/${fd}`).catch(() => ''))) return pid;
    }
  }
  throw new Error(`No process below ${root} listens on port ${port}`);
}

/** Waits for a live runner (npm start's own, or npm run runner's); its pid. */
async function aliveRunner(sdk: Sdk): Promise<number> {
  const { GatewayRunnersDocument } = await import('../sdk/index.ts');
  const deadline = Date.now() + 60_000;
  for (;;) {
    const { runners } = await sdk.request(GatewayRunnersDocument, {});
    const alive = runners.find((r) => r.alive);
    if (alive) return alive.pid;
    if (Date.now() > deadline) throw new Error('No runner came alive within 60 s');
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** A project over the fixtures and a deployment of the log-printer service with `env`. */
export async function printerDeployment(sdk: Sdk, env: Record<string, string>): Promise<string> {
  const { createProject } = await sdk.request(CreateProjectDocument, {
    input: { name: `bench-${randomBytes(3).toString('hex')}`, rootPath: FIXTURES },
  });
  const { createDeployment } = await sdk.request(CreateDeploymentDocument, {
    input: {
      projectId: createProject.id,
      serviceName: 'log-printer',
      servicePath: 'log-printer',
      executor: 'local',
      env: Object.entries(env).map(([name, value]) => ({ name, value })),
    },
  });
  return createDeployment.id;
}

export async function createWorkload(sdk: Sdk, deploymentId: string): Promise<string> {
  return (await sdk.request(CreateWorkloadDocument, { input: { deploymentId } })).createWorkload.id;
}

export async function stopWorkload(sdk: Sdk, id: string): Promise<void> {
  await sdk.request(StopWorkloadDocument, { id });
}

/** CPU seconds (user + system) a process has used so far, all its threads. */
export async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** CPU seconds of each named thread group of a process (e.g. `agentforge-run` for npm start's runner). */
export async function cpuByThread(pid: number): Promise<Map<string, number>> {
  const byName = new Map<string, number>();
  for (const tid of await readdir(`/proc/${pid}/task`).catch(() => [] as string[])) {
    const stat = await readFile(`/proc/${pid}/task/${tid}/stat`, 'utf8').catch(() => '');
    if (!stat) continue;
    const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    byName.set(name, (byName.get(name) ?? 0) + (Number(fields[11]) + Number(fields[12])) / 100);
  }
  return byName;
}
