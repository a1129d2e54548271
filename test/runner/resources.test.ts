import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, portBlock, startHarness, terminal, waitFor } from './harness.ts';

/** Resource samples of a running local service (every 5 s, read from its process group). */
let h: Harness;

beforeAll(async () => {
  h = await startHarness(['forking'], { WORKLOAD_PORT_RANGE: portBlock(), STOP_TIMEOUT_MS: '3000' });
  await h.startRunner();
});
afterAll(() => h?.close());

describe('resource usage', () => {
  it('appears within 10 s of running, counts the tasks of its cgroup, and is sampled again', async () => {
    const created = await h.createWorkload(await h.deploy('forking'));
    const running = await waitFor(h.app, created.id, (w) => w.stage === 'running' || terminal(w));
    expect(running).toMatchObject({ stage: 'running', resources: null, peakMemoryBytes: null });
    const since = Date.now();
    const first = await waitFor(h.app, created.id, (w) => w.resources !== null, 10_000);
    expect(Date.now() - since).toBeLessThanOrEqual(10_000);
    // Tasks of the workload's cgroup, as pidsLimit counts them (Docker's stats count the same way):
    // the service and the child it forked, with their threads.
    expect(first.resources!.pids).toBeGreaterThanOrEqual(2);
    expect(first.resources!.memoryBytes).toBeGreaterThan(10 * 1024 * 1024);
    expect(first.resources!.cpuPercent).toBeGreaterThanOrEqual(0);
    expect(first.peakMemoryBytes).toBeGreaterThanOrEqual(first.resources!.memoryBytes);

    const next = await waitFor(
      h.app,
      created.id,
      (w) => w.resources !== null && w.resources.sampledAt !== first.resources!.sampledAt,
      15_000,
    );
    expect(new Date(next.resources!.sampledAt).getTime()).toBeGreaterThan(
      new Date(first.resources!.sampledAt).getTime(),
    );
    expect(next.peakMemoryBytes).toBeGreaterThanOrEqual(
      Math.max(first.resources!.memoryBytes, next.resources!.memoryBytes),
    );
    // The cumulative CPU time is kept beside the percentage (the metrics' counter).
    const { rows } = await h.app.db.pool.query(`select "cpu_seconds" from "workload" where "id" = $1`, [
      created.id,
    ]);
    expect(rows[0].cpu_seconds).toBeGreaterThan(0);
  });
});
