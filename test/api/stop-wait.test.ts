import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimWorkloads } from '../../core/sql/claim.ts';
import { createWorkloadRow } from '../../core/sql/create-workload.ts';
import { heartbeat, registerRunner } from '../../core/sql/runners.ts';
import { getWorkloadRow } from '../../core/sql/transition.ts';
import { StopWorkloadDocument } from '../../sdk/index.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { seedDeployment } from '../support/seed.ts';

let app: TestApp;
let deploymentId: string;

beforeAll(async () => {
  // STOP_TIMEOUT_MS 0: stopWorkload waits only its margin (15 s) for the runner.
  app = await startTestApp({ AGENTFORGE_RUNNER: 'off', STOP_TIMEOUT_MS: '0' });
  deploymentId = await seedDeployment(app.db);
});
afterAll(() => app?.close());

/** A runner row that claims a workload and then heartbeats (or not) without ever acting on it. */
async function claimedBySilentRunner(keepHeartbeating: boolean) {
  const runnerId = randomUUID();
  await registerRunner(app.db.pool, runnerId, 999_999, 1);
  const { id } = await createWorkloadRow(app.db.pool, deploymentId, 'svc');
  const [claimed] = await claimWorkloads(app.db.pool, runnerId, 1);
  expect(claimed?.workload.id).toBe(id);
  const beats = keepHeartbeating ? setInterval(() => void heartbeat(app.db.pool, runnerId), 500) : undefined;
  return { id, runnerId, done: () => clearInterval(beats) };
}

describe('stopWorkload never answers with a live workload', () => {
  it('fails with STOP_TIMEOUT when the runner holds its lease but does not act', async () => {
    const { id, done } = await claimedBySilentRunner(true);
    try {
      const error = await app.gql(StopWorkloadDocument, { id }).catch((e) => e);
      expect(error).toMatchObject({ code: 'STOP_TIMEOUT' });
      expect(error.message).toContain(`Workload ${id} is still validate`);
      expect((await getWorkloadRow(app.db.pool, id))?.stopRequested).toBe(true);
    } finally {
      done();
    }
  }, 60_000);

  it('returns it failed once the runner, silent meanwhile, loses its lease', async () => {
    const { id, runnerId } = await claimedBySilentRunner(false);
    const { stopWorkload } = await app.gql(StopWorkloadDocument, { id });
    expect(stopWorkload).toMatchObject({
      stage: 'failed',
      failedStage: 'validate',
      error: `Runner ${runnerId} stopped responding`,
    });
  }, 60_000);
});
