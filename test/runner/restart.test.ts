import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DeploymentDocument,
  StopWorkloadDocument,
  type WorkloadFieldsFragment,
  WorkloadRestartDocument,
} from '../../sdk/index.ts';
import { type Harness, logsOf, portBlock, startHarness, terminal, waitFor } from './harness.ts';

/**
 * The restart policy (docs/running-stage.md) with a real service that crashes
 * shortly after every start.
 */
let h: Harness;

beforeAll(async () => {
  h = await startHarness(['crash-loop'], { WORKLOAD_PORT_RANGE: portBlock(), STOP_TIMEOUT_MS: '3000' });
  await h.startRunner();
});
afterAll(() => h?.close());

async function workloadsOf(deploymentId: string): Promise<WorkloadFieldsFragment[]> {
  const { deployment } = await h.app.gql(DeploymentDocument, { id: deploymentId, first: 100 });
  return (deployment?.workloads.edges ?? []).map((e) => e.node).reverse();
}

/** The restart of `id`, polled for until it exists (bounded). */
async function restartOf(id: string, boundMs = 30_000): Promise<WorkloadFieldsFragment> {
  const deadline = Date.now() + boundMs;
  for (;;) {
    const { workload } = await h.app.gql(WorkloadRestartDocument, { id });
    if (workload?.restart) return workload.restart;
    if (Date.now() > deadline)
      throw new Error(`No restart of ${id} after ${boundMs} ms: ${JSON.stringify(await logsOf(h.app, id))}`);
    await sleep(50);
  }
}

const ms = (iso: string | null | undefined) => new Date(iso!).getTime();

describe('restart policy', () => {
  it('on_failure with maxRestarts 2: exactly three workloads, linked, each after its backoff', async () => {
    const deploymentId = await h.deploy('crash-loop', { restartPolicy: 'on_failure', maxRestarts: 2 });
    const first = await h.createWorkload(deploymentId);
    expect(first).toMatchObject({ attempt: 1, restartOf: null, scheduledAt: null });

    const second = await restartOf(first.id);
    // During the backoff the deployment shows the restart as its current workload, on its way.
    const { deployment } = await h.app.gql(DeploymentDocument, { id: deploymentId, first: 10 });
    if (deployment?.currentWorkload?.stage === 'pending') expect(deployment.status).toBe('deploying');
    expect(deployment?.currentWorkload?.id).toBe(second.id);

    const third = await restartOf(second.id);
    const last = await waitFor(h.app, third.id, terminal);
    expect(last).toMatchObject({
      stage: 'failed',
      failedStage: 'running',
      failureReason: 'crash',
      error: 'Service crashed with exit code 1',
    });
    // Longer than the next backoff (4 s) would be: no fourth workload comes.
    await sleep(5_000);
    const all = await workloadsOf(deploymentId);
    expect(all.map((w) => [w.attempt, w.restartOf?.id ?? null, w.stage])).toEqual([
      [1, null, 'failed'],
      [2, first.id, 'failed'],
      [3, second.id, 'failed'],
    ]);
    const [w1, w2, w3] = all as [WorkloadFieldsFragment, WorkloadFieldsFragment, WorkloadFieldsFragment];
    // scheduledAt is the failure plus the backoff (1 s, then 2 s), and nobody started a restart before it.
    expect(ms(w2.scheduledAt) - ms(w1.finishedAt)).toBeGreaterThanOrEqual(999);
    expect(ms(w2.scheduledAt) - ms(w1.finishedAt)).toBeLessThanOrEqual(1_001);
    expect(ms(w3.scheduledAt) - ms(w2.finishedAt)).toBeGreaterThanOrEqual(1_999);
    expect(ms(w3.scheduledAt) - ms(w2.finishedAt)).toBeLessThanOrEqual(2_001);
    expect(ms(w2.startedAt)).toBeGreaterThanOrEqual(ms(w2.scheduledAt));
    expect(ms(w3.startedAt)).toBeGreaterThanOrEqual(ms(w3.scheduledAt));

    const logs1 = (await logsOf(h.app, w1.id)).map((l) => l.message);
    expect(logs1).toContain('Restart policy on_failure: restarting as attempt 2 in 1 s');
    const logs3 = (await logsOf(h.app, w3.id)).map((l) => l.message);
    expect(logs3[0]).toMatch(new RegExp(`^Restart of workload ${w2.id} \\(attempt 3\\), not before `));
    expect(logs3.at(-1)).toBe('Not restarting: 2 restarts in a row already (maxRestarts 2)');
    const { deployment: after } = await h.app.gql(DeploymentDocument, { id: deploymentId, first: 10 });
    expect(after).toMatchObject({ status: 'failed', currentWorkload: { id: w3.id } });
  });

  it('never: one workload, however it ends', async () => {
    const deploymentId = await h.deploy('crash-loop', {});
    const first = await h.createWorkload(deploymentId);
    await waitFor(h.app, first.id, terminal);
    await sleep(2_500);
    expect((await workloadsOf(deploymentId)).map((w) => w.id)).toEqual([first.id]);
  });

  it('stopping a restart during its backoff ends the chain', async () => {
    const deploymentId = await h.deploy('crash-loop', { restartPolicy: 'on_failure', maxRestarts: 10 });
    const first = await h.createWorkload(deploymentId);
    // The third restart waits 4 s: time enough to stop it before it starts.
    let current = first;
    for (let i = 0; i < 3; i++) current = await restartOf(current.id);
    expect(current).toMatchObject({ attempt: 4, stage: 'pending' });
    const { stopWorkload } = await h.app.gql(StopWorkloadDocument, { id: current.id });
    expect(stopWorkload).toMatchObject({
      stage: 'failed',
      failedStage: 'pending',
      failureReason: 'cancelled',
      error: 'Cancelled by user during pending',
    });
    await sleep(6_000);
    const all = await workloadsOf(deploymentId);
    expect(all.map((w) => w.attempt)).toEqual([1, 2, 3, 4]);
    expect(all.at(-1)).toMatchObject({ id: current.id, stage: 'failed', startedAt: null });
    const { deployment } = await h.app.gql(DeploymentDocument, { id: deploymentId, first: 1 });
    expect(deployment?.status).toBe('failed');
  });
});
