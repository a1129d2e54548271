import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StopWorkloadDocument } from '../../sdk/index.ts';
import {
  cgroupPids,
  gone,
  type Harness,
  isAlive,
  logsOf,
  portBlock,
  startHarness,
  terminal,
  waitFor,
} from './harness.ts';

let h: Harness;

beforeAll(async () => {
  h = await startHarness(['slow-build', 'hello'], {
    WORKLOAD_PORT_RANGE: portBlock(),
    STOP_TIMEOUT_MS: '3000',
  });
});
afterAll(() => h?.close());

/**
 * Waits until the slow build printed its pids, and returns the host pids of
 * the build's processes (the sandbox numbers them its own way): those in
 * the workload's cgroup.
 */
async function buildPids(id: string): Promise<number[]> {
  await waitFor(h.app, id, (w) => terminal(w) || w.stage === 'build');
  for (let i = 0; i < 600; i++) {
    const line = (await logsOf(h.app, id)).find((l) => l.message.startsWith('build pid '));
    if (line) return cgroupPids(id);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the slow build never printed its pids');
}

describe('cancel and shutdown', () => {
  it('cancels a long build: failed "Cancelled by user during build", its processes gone', async () => {
    await h.startRunner();
    const created = await h.createWorkload(await h.deploy('slow-build'));
    const pids = await buildPids(created.id);
    // The sandbox's first process, npm, the build and its child at least.
    expect(pids.length).toBeGreaterThanOrEqual(3);
    expect(pids.every(isAlive)).toBe(true);

    const { stopWorkload } = await h.app.gql(StopWorkloadDocument, { id: created.id });
    expect(stopWorkload).toMatchObject({
      stage: 'failed',
      failedStage: 'build',
      error: 'Cancelled by user during build',
      stopRequested: true,
    });
    for (const pid of pids) expect(await gone(pid)).toBe(true);
    const logs = await logsOf(h.app, created.id);
    expect(logs.at(-1)).toMatchObject({
      stage: 'build',
      level: 'error',
      message: 'Cancelled by user during build',
    });
  });

  it('on shutdown cancels work in progress and stops the services it hosts, recording both', async () => {
    const runner = h.runners[0]!;
    const building = await h.createWorkload(await h.deploy('slow-build'));
    const serving = await h.createWorkload(await h.deploy('hello'));
    const pids = await buildPids(building.id);
    const running = await waitFor(h.app, serving.id, (w) => w.stage === 'running' || terminal(w));
    expect(running.stage).toBe('running');

    await runner.stop();

    const cancelled = await waitFor(h.app, building.id, terminal, 1);
    expect(cancelled).toMatchObject({
      stage: 'failed',
      error: 'Cancelled: runner shutting down during build',
    });
    const stopped = await waitFor(h.app, serving.id, terminal, 1);
    expect(stopped).toMatchObject({ stage: 'stopped', error: null });
    expect(isAlive(running.pid!)).toBe(false);
    for (const pid of pids) expect(await gone(pid)).toBe(true);
    const { rows } = await h.app.db.pool.query('select stopped_at from runner where id = $1', [runner.id]);
    expect(rows[0].stopped_at).not.toBeNull();
  });
});
