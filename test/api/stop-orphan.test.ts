import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimWorkloads } from '../../core/sql/claim.ts';
import { createWorkloadRow } from '../../core/sql/create-workload.ts';
import { registerRunner } from '../../core/sql/runners.ts';
import { transitionWorkload } from '../../core/sql/transition.ts';
import { StopWorkloadDocument, WorkloadLogsDocument } from '../../sdk/index.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { seedDeployment } from '../support/seed.ts';

let app: TestApp;
let deploymentId: string;

beforeAll(async () => {
  // A long stop timeout: a stop that waited for a runner would outlast the test.
  app = await startTestApp({ AGENTFORGE_RUNNER: 'off', STOP_TIMEOUT_MS: '60000' });
  deploymentId = await seedDeployment(app.db);
});
afterAll(() => app?.close());

/** A runner row that claimed a workload and took it to `stage`, then went quiet as `how` says. */
async function orphan(
  how: 'silent' | 'stopped',
  stage: 'validate' | 'running',
): Promise<{ id: string; runnerId: string }> {
  const runnerId = randomUUID();
  await registerRunner(app.db.pool, runnerId, 999_999, 1);
  const { id } = await createWorkloadRow(app.db.pool, deploymentId, 'svc');
  const [claimed] = await claimWorkloads(app.db.pool, runnerId, 1);
  expect(claimed?.workload.id).toBe(id);
  if (stage === 'running') {
    await transitionWorkload(app.db.pool, id, 'validate', 'build');
    await transitionWorkload(app.db.pool, id, 'build', 'deploy');
    await transitionWorkload(app.db.pool, id, 'deploy', 'running');
  }
  await app.db.pool.query(
    how === 'silent'
      ? `update runner set last_heartbeat_at = now() - interval '5 minutes' where id = $1`
      : `update runner set stopped_at = now() where id = $1`,
    [runnerId],
  );
  return { id, runnerId };
}

describe('stopWorkload when the runner that claimed it is gone', () => {
  it.each([
    ['stopped heartbeating', 'silent', 'running'],
    ['stopped', 'stopped', 'validate'],
  ] as const)(
    'fails it at once when its runner %s, with the reason in error and in the log',
    async (_, how, stage) => {
      const { id, runnerId } = await orphan(how, stage);
      const { stopWorkload } = await app.gql(StopWorkloadDocument, { id });
      expect(stopWorkload).toMatchObject({
        id,
        stage: 'failed',
        failedStage: stage,
        failureReason: 'runner_lost',
        error: `Runner ${runnerId} stopped responding`,
        stopRequested: true,
      });
      const { workload } = await app.gql(WorkloadLogsDocument, { id, first: 100 });
      expect(workload?.logs.at(-1)).toMatchObject({
        stage,
        level: 'error',
        message: `Runner ${runnerId} stopped responding`,
      });
    },
  );
});
