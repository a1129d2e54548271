import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { loadConfig } from '../core/config.ts';
import { type Database, openDatabase } from '../core/db/database.ts';
import { createSdk, type Sdk, WorkloadLogsStreamDocument } from '../sdk/index.ts';
import { createNotifyHub } from '../src/live/notify-hub.ts';
import { buildApp } from '../src/server.ts';

/** Shared set-up of the log benchmarks (B1, B2, B4): a printer, a workload, an API, subscribers. */

export const PRINTER = fileURLToPath(new URL('../test/fixtures/log-printer/print.mjs', import.meta.url));

/** The token of every API a benchmark starts (clients present it like any client). */
export const API_TOKEN = randomBytes(32).toString('base64url');

export const now = () => performance.timeOrigin + performance.now();

export function spawnPrinter(env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, [PRINTER], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}

/** A project (rooted in the temporary folder) and a local deployment of `servicePath`, inserted directly. */
export async function insertDeployment(db: Pick<pg.Pool, 'query'>, servicePath: string): Promise<string> {
  const [project, deployment] = [randomUUID(), randomUUID()];
  await db.query(
    `insert into project (id, name, root_path, created_at, updated_at) values ($1, 'bench', $2, now(), now())`,
    [project, tmpdir()],
  );
  await db.query(
    `insert into deployment (id, project_id, service_name, service_path, executor, env, created_at, updated_at)
     values ($1, $2, $3, $3, 'local', '[]', now(), now())`,
    [deployment, project, servicePath],
  );
  return deployment;
}

/** A project, a deployment and a workload already `running`, inserted directly. */
export async function runningWorkload(pool: pg.Pool): Promise<string> {
  const [deployment, workload] = [await insertDeployment(pool, 'svc'), randomUUID()];
  await pool.query(
    `insert into workload (id, deployment_id, service_path, stage, created_at, updated_at, started_at)
     values ($1, $2, 'svc', 'running', now(), now(), now())`,
    [workload, deployment],
  );
  return workload;
}

export async function finish(pool: pg.Pool, id: string): Promise<void> {
  await pool.query(
    `with moved as (update workload set stage = 'stopped', finished_at = now(), updated_at = now()
                     where id = $1 returning id)
     select pg_notify('agentforge_workload_updated', id::text) from moved`,
    [id],
  );
}

/** The API in this process (graphql-yoga + graphql-ws + the LISTEN/NOTIFY hub) on port 0. */
export async function startApi(
  url: string,
): Promise<{ db: Database; sdk: Sdk; url: string; stop(): Promise<void> }> {
  const db = await openDatabase(url, { migrate: false });
  const live = createNotifyHub(db);
  const app = buildApp({
    config: loadConfig({ HOST: '127.0.0.1', PORT: '0' }),
    apiToken: API_TOKEN,
    db,
    live,
  });
  const started = await app.start();
  const sdk = createSdk({ url: started.url, token: API_TOKEN });
  return {
    db,
    sdk,
    url: started.url,
    async stop() {
      await sdk.close();
      await app.stop();
      await live.close();
      await db.close();
    },
  };
}

/** Follows a workload's log; `onEntry` gets each seq and message as it arrives. */
export function follow(
  sdk: Sdk,
  workloadId: string,
  onEntry: (seq: number, message: string) => void,
): Promise<void> {
  return sdk.subscribe(WorkloadLogsStreamDocument, { workloadId, after: null }, ({ workloadLogs }) =>
    onEntry(workloadLogs.seq, workloadLogs.message),
  );
}

/** The write time a paced printer line carries (`line N t=<ms since epoch>`). */
export function writtenAt(message: string): number {
  return Number(message.slice(message.indexOf('t=') + 2));
}

/**
 * `npm start` in a child process on port 0: its RSS is measurable, and its
 * clients (the benchmark) do not share its event loop. The API only
 * (AGENTFORGE_RUNNER=off) unless `runner` is set; `env` adds settings.
 */
export async function startApiProcess(
  databaseUrl: string,
  options: { runner?: boolean; env?: Record<string, string> } = {},
): Promise<{ url: string; pid: number; rssMb(): Promise<number>; stop(): Promise<void> }> {
  // What `npm start` runs: the compiled app (rebuilt first if a source changed), in this one process.
  const launcher = fileURLToPath(new URL('../scripts/run.mjs', import.meta.url));
  // BENCH_API_NODE_FLAGS (e.g. `--cpu-prof --trace-gc`): node flags for the API process.
  const flags = process.env.BENCH_API_NODE_FLAGS?.split(/\s+/).filter(Boolean) ?? [];
  const child = spawn(process.execPath, [...flags, launcher, 'app/start.ts'], {
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      PORT: '0',
      HOST: '127.0.0.1',
      AGENTFORGE_RUNNER: options.runner ? 'on' : 'off',
      AGENTFORGE_API_TOKEN: API_TOKEN,
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /GraphiQL at ([^\s"]+)/.exec(out);
      if (match?.[1]) resolve(match[1]);
    });
    // With node flags set, what the API prints (--trace-gc lines) goes to the bench's stderr.
    if (flags.length > 0) child.stdout?.pipe(process.stderr);
    child.once('exit', (code) => reject(new Error(`API exited with ${code} before it was ready: ${out}`)));
  });
  const pid = child.pid as number;
  return {
    url,
    pid,
    async rssMb() {
      const { readFile } = await import('node:fs/promises');
      const status = await readFile(`/proc/${pid}/status`, 'utf8');
      return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN) / 1024;
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
