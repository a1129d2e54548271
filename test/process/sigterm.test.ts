import { type ChildProcess, spawn } from 'node:child_process';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkloadRow } from '../../core/sql/create-workload.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { seedDeployment } from '../support/seed.ts';
import { commandLine, descendants, isListening, stillRunning } from './process-tree.ts';

/**
 * SIGTERM to the pid of `npm start` / `npm run runner`, as a container
 * runtime or a supervisor sends it (to that one process, not its group):
 * the app shuts down gracefully (its running workload ends `stopped`, the
 * ports close, no process it started is left) and npm exits only after
 * that, with code 0. What is checked is a snapshot taken the moment npm
 * has exited.
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const HELLO = fileURLToPath(new URL('../fixtures/hello/', import.meta.url));
/** npm may compile dist/ first when a source changed since the last build. */
const READY_TIMEOUT_MS = 180_000;

let db: TestDatabase;
let projectRoot: string;
let dataDir: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  projectRoot = await mkdtemp(join(tmpdir(), 'agentforge-sigterm-'));
  dataDir = await mkdtemp(join(tmpdir(), 'agentforge-sigterm-data-'));
  await cp(HELLO, join(projectRoot, 'hello'), { recursive: true });
});
afterAll(async () => {
  for (const child of children) {
    // Whatever a failed run left, by the process group each was started in.
    if (child.pid) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {}
    }
  }
  await db?.drop();
  await rm(projectRoot, { recursive: true, force: true });
  await rm(dataDir, { recursive: true, force: true });
});

interface Npm {
  child: ChildProcess;
  output(): string;
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
}

function npm(args: string[], env: Record<string, string>): Npm {
  const child = spawn('npm', args, {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: db.url, AGENTFORGE_DATA_DIR: dataDir, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, so that afterAll can clean up after a failure; the signal under test
    // goes to npm's pid alone.
    detached: true,
  });
  children.push(child);
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  return {
    child,
    output: () => output,
    async waitFor(pattern, timeoutMs = READY_TIMEOUT_MS) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const match = pattern.exec(output);
        if (match) return match;
        if (child.exitCode !== null) throw new Error(`npm ${args.join(' ')} exited early:\n${output}`);
        if (Date.now() > deadline) throw new Error(`no ${pattern} within ${timeoutMs} ms:\n${output}`);
        await sleep(100);
      }
    },
  };
}

async function workloadRow(id: string) {
  return (await db.pool.query(`select stage, port, pid, error from workload where id = $1`, [id])).rows[0];
}

async function waitRunning(id: string, output: () => string) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const row = await workloadRow(id);
    if (row.stage === 'running') return row as { port: number; pid: number };
    if (row.stage === 'failed' || Date.now() > deadline) {
      throw new Error(`workload ${row.stage} (${row.error}):\n${output()}`);
    }
    await sleep(100);
  }
}

/**
 * SIGTERM to npm's own pid; at the moment npm has exited: its exit code, the
 * ports still listening and the processes of its tree still running.
 */
async function terminate(child: ChildProcess, ports: number[]) {
  const tree = descendants(child.pid!);
  const sentAt = performance.now();
  const exited = new Promise<{ code: number | null; ms: number; listening: number[]; alive: string[] }>(
    (resolve) =>
      child.once('exit', (code) =>
        resolve({
          code,
          ms: performance.now() - sentAt,
          listening: ports.filter(isListening),
          alive: stillRunning(tree).map((pid) => `${pid} ${commandLine(pid)}`),
        }),
      ),
  );
  process.kill(child.pid!, 'SIGTERM');
  return { tree, ...(await exited) };
}

describe('SIGTERM to the main pid', { timeout: 300_000 }, () => {
  it('npm start: the API and its runner stop gracefully before npm exits', async () => {
    const app = npm(['start'], { PORT: '0', HOST: '127.0.0.1', WORKLOAD_PORT_RANGE: '24100-24199' });
    const [, url] = await app.waitFor(/GraphiQL at (http:[^\s"]+)/);
    await app.waitFor(/Runner \S+ started/);
    const apiPort = Number(new URL(url!).port);
    const deploymentId = await seedDeployment(db, { rootPath: projectRoot, servicePath: 'hello' });
    const { id } = await createWorkloadRow(db.pool, deploymentId, 'hello');
    const running = await waitRunning(id, app.output);

    const result = await terminate(app.child, [apiPort, running.port]);
    console.log(
      `npm start: exited ${result.ms.toFixed(0)} ms after SIGTERM; tree was ${result.tree.length} processes`,
    );
    expect(result.tree).toContain(running.pid);
    expect(result.alive, app.output()).toEqual([]);
    expect(result.listening).toEqual([]);
    expect(result.code, app.output()).toBe(0);
    expect(await workloadRow(id)).toMatchObject({ stage: 'stopped' });
    expect(app.output()).toMatch(/Runner \S+ stopped/);
    expect(app.output()).not.toMatch(/Shutdown failed|exiting now/);
  });

  it('npm run runner: the runner stops its workload and records it before npm exits', async () => {
    const runner = npm(['run', 'runner'], { WORKLOAD_PORT_RANGE: '24200-24299' });
    await runner.waitFor(/Runner \S+ started/);
    const deploymentId = await seedDeployment(db, { rootPath: projectRoot, servicePath: 'hello' });
    const { id } = await createWorkloadRow(db.pool, deploymentId, 'hello');
    const running = await waitRunning(id, runner.output);

    const result = await terminate(runner.child, [running.port]);
    console.log(
      `npm run runner: exited ${result.ms.toFixed(0)} ms after SIGTERM; tree was ${result.tree.length} processes`,
    );
    expect(result.tree).toContain(running.pid);
    expect(result.alive, runner.output()).toEqual([]);
    expect(result.listening).toEqual([]);
    expect(result.code, runner.output()).toBe(0);
    expect(await workloadRow(id)).toMatchObject({ stage: 'stopped' });
    expect(runner.output()).toMatch(/Runner \S+ stopped/);
  });
});
