import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sweepLeftovers } from '../../runner/sandbox/leftovers.ts';
import {
  descendantsOf,
  gone,
  type Harness,
  isAlive,
  portBlock,
  startHarness,
  terminal,
  waitFor,
} from './harness.ts';

/**
 * Nothing of a workload outlives its runner (docs/containment.md): kill -9 of a
 * runner process ends every process of its services within a few seconds,
 * and what it left on disk and in cgroups is removed by the next sweep.
 */
const REPO = fileURLToPath(new URL('../../', import.meta.url));
let h: Harness;
let runner: ChildProcess | undefined;

beforeAll(async () => {
  h = await startHarness(['forking'], { WORKLOAD_PORT_RANGE: portBlock() });
});
afterAll(async () => {
  if (runner?.exitCode === null) runner.kill('SIGKILL');
  await h?.close();
});

/** `npm run runner` as one process (node with tsx's loader), so its pid is the runner's. */
function startRunnerProcess(): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'runner/main.ts'], {
    cwd: REPO,
    env: { ...process.env, DATABASE_URL: h.app.db.url, HOST: '127.0.0.1', ...h.env },
    stdio: 'ignore',
  });
  return child;
}

describe('kill -9 of a runner', () => {
  it('leaves no process of its workloads, and the next sweep removes its working copy and cgroup', async () => {
    runner = startRunnerProcess();
    const created = await h.createWorkload(await h.deploy('forking'));
    const running = await waitFor(h.app, created.id, (w) => w.stage === 'running' || terminal(w), 90_000);
    expect(running.stage).toBe('running');
    const below = descendantsOf(running.pid!);
    // The sandbox's first process, the service and the child it forked.
    expect(below.length).toBeGreaterThanOrEqual(3);

    runner.kill('SIGKILL');
    expect(await gone(runner.pid!)).toBe(true);
    for (const pid of [running.pid!, ...below]) expect(await gone(pid, 10_000), `pid ${pid}`).toBe(true);
    expect(below.every((pid) => !isAlive(pid))).toBe(true);

    // What the dead runner left on this host, until the orphan sweep has failed the workload.
    const copy = join(REPO, '.data', 'workloads', created.id);
    expect(existsSync(copy)).toBe(true);
    expect(await sweepLeftovers(h.app.db.pool, join(REPO, '.data', 'workloads'))).not.toContain(created.id);
    await h.app.db.pool.query(
      `update workload set stage = 'failed', error = 'Runner gone', failed_stage = 'running', failure_reason = 'runner_lost', finished_at = now() where id = $1`,
      [created.id],
    );
    expect(await sweepLeftovers(h.app.db.pool, join(REPO, '.data', 'workloads'))).toContain(created.id);
    expect(existsSync(copy)).toBe(false);
    expect(existsSync(`/sys/fs/cgroup/pids/agentforge/${created.id}`)).toBe(false);
  });
});
