import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readlinkSync } from 'node:fs';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../core/config.ts';
import { type Database, openDatabase } from '../../core/db/database.ts';
import { type EmbeddedServer, startEmbeddedPostgres } from '../../core/db/embedded.ts';
import { getWorkloadRow } from '../../core/sql/transition.ts';
import type { WorkloadRow } from '../../core/sql/workload-row.ts';
import { createNotifyHub } from '../../src/live/notify-hub.ts';
import { buildApp } from '../../src/server.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const FIXTURES = join(ROOT, 'test/fixtures');

/**
 * A PostgreSQL of the test's own (the embedded server, in a temporary
 * folder), which the test may stop and start again on the same port.
 */
export interface OwnPostgres {
  url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

export async function startOwnPostgres(): Promise<OwnPostgres> {
  const dataDir = await mkdtemp(join(tmpdir(), 'agentforge-faults-pg-'));
  let server: EmbeddedServer | undefined = await startEmbeddedPostgres(dataDir);
  const url = server.url;
  const port = Number(new URL(url).port);
  return {
    url,
    async stop() {
      await server?.stop();
      server = undefined;
    },
    async start() {
      server = await startEmbeddedPostgres(dataDir, () => {}, { port });
    },
    async close() {
      await server?.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** A project root holding copies of the named fixtures. */
async function projectRoot(fixtures: string[]): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'agentforge-faults-'));
  for (const name of fixtures) await cp(join(FIXTURES, name), join(root, name), { recursive: true });
  return root;
}

/**
 * What a fault test runs against: a PostgreSQL of its own, its migrated
 * database, an in-process API (with its live hub and its sweeper of gone
 * runners) on port 0, and a project root with copies of `fixtures`.
 * `close()` ends all of it; the test stops its runner processes first.
 */
export interface FaultStack {
  pg: OwnPostgres;
  db: Database;
  /** The API's GraphQL URL, and the token it takes. */
  url: string;
  token: string;
  root: string;
  close(): Promise<void>;
}

export async function startFaultStack(fixtures: string[]): Promise<FaultStack> {
  const token = randomBytes(24).toString('hex');
  const closers: (() => Promise<void> | void)[] = [];
  const close = async () => {
    for (const closer of closers.reverse()) await closer();
  };
  try {
    const pg = await startOwnPostgres();
    closers.push(() => pg.close());
    const db = await openDatabase(pg.url);
    closers.push(() => db.close());
    const live = createNotifyHub(db);
    closers.push(() => live.close());
    const app = buildApp({ config: loadConfig({ HOST: '127.0.0.1', PORT: '0' }), apiToken: token, db, live });
    const { url } = await app.start();
    closers.push(() => app.stop());
    const root = await projectRoot(fixtures);
    closers.push(async () => {
      killProcessesIn(root);
      await rm(root, { recursive: true, force: true });
    });
    return { pg, db, url, token, root, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** `npm run runner` as the process it runs: node itself (with tsx's loader), so a signal reaches it directly. */
export interface RunnerProcess {
  child: ChildProcess;
  output: string[];
  exited: Promise<void>;
  kill9(): void;
  stop(): Promise<void>;
}

export function spawnRunner(env: Record<string, string>): RunnerProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'runner/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  child.stdout?.setEncoding('utf8').on('data', (c: string) => output.push(c));
  child.stderr?.setEncoding('utf8').on('data', (c: string) => output.push(c));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    output,
    exited,
    kill9: () => child.kill('SIGKILL'),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const done = await Promise.race([exited.then(() => true), sleep(30_000).then(() => false)]);
      if (!done) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Re-reads the workload until `done` holds (the bound only keeps a broken run from hanging). */
export async function waitForRow(
  db: Database,
  id: string,
  done: (w: WorkloadRow) => boolean,
  boundMs = 120_000,
): Promise<WorkloadRow> {
  const deadline = Date.now() + boundMs;
  for (;;) {
    const row = await getWorkloadRow(db.pool, id).catch(() => null);
    if (row && done(row)) return row;
    if (Date.now() > deadline) throw new Error(`Workload ${id} still ${row?.stage} after ${boundMs} ms`);
    await sleep(20);
  }
}

/** Kills a process group, if it is still there (what the killed runner left behind). */
export function killGroup(pid: number | null | undefined): void {
  if (!pid) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // Gone already.
  }
}

/**
 * Kills every process whose working directory is inside `dir` (the project
 * root a test made): what a runner killed with -9 leaves behind until the
 * sandbox ties its processes to it.
 */
export function killProcessesIn(dir: string): void {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readlinkSync(`/proc/${entry}/cwd`).startsWith(dir)) process.kill(Number(entry), 'SIGKILL');
    } catch {
      // Gone, or not ours to read.
    }
  }
}
