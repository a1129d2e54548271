import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkloadRow } from '../../core/sql/create-workload.ts';
import { transitionWorkload } from '../../core/sql/transition.ts';
import { WORKLOAD_STAGES } from '../../core/stages.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { seedDeployment } from '../support/seed.ts';

let db: TestDatabase;
let deploymentId: string;

beforeAll(async () => {
  db = await createTestDatabase();
  deploymentId = await seedDeployment(db);
});
afterAll(() => db?.drop());

describe('transitionWorkload (conditional UPDATE in PostgreSQL)', () => {
  it('moves a workload only from the expected stage, and only one of two racers wins', async () => {
    const w = await createWorkloadRow(db.pool, deploymentId, 'svc');
    const results = await Promise.all(
      Array.from({ length: 8 }, () => transitionWorkload(db.pool, w.id, 'pending', 'validate')),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await transitionWorkload(db.pool, w.id, 'pending', 'validate')).toBeNull();
    const built = await transitionWorkload(db.pool, w.id, 'validate', 'build');
    expect(built?.stage).toBe('build');
  });

  it('stamps finishedAt and the patch on a terminal move, and never moves a terminal workload', async () => {
    const w = await createWorkloadRow(db.pool, deploymentId, 'svc');
    await transitionWorkload(db.pool, w.id, 'pending', 'validate');
    const failed = await transitionWorkload(db.pool, w.id, 'validate', 'failed', {
      error: 'boom',
      failedStage: 'validate',
      failureReason: 'validate',
    });
    expect(failed).toMatchObject({
      stage: 'failed',
      error: 'boom',
      failedStage: 'validate',
      failureReason: 'validate',
    });
    expect(failed?.finishedAt).toBeInstanceOf(Date);
    for (const stage of WORKLOAD_STAGES) {
      const again = transitionWorkload(db.pool, w.id, stage as never, 'failed', { failureReason: 'crash' });
      expect(await again.catch(() => null)).toBeNull();
    }
  });

  it('refuses moves the stage machine forbids before touching the database', async () => {
    const w = await createWorkloadRow(db.pool, deploymentId, 'svc');
    await expect(transitionWorkload(db.pool, w.id, 'pending', 'running')).rejects.toThrow(
      /Illegal workload transition/,
    );
  });

  it('lets the database refuse a port taken by another live workload', async () => {
    const a = await createWorkloadRow(db.pool, deploymentId, 'svc');
    const b = await createWorkloadRow(db.pool, deploymentId, 'svc');
    await transitionWorkload(db.pool, a.id, 'pending', 'validate', { port: 3999 });
    await expect(
      transitionWorkload(db.pool, b.id, 'pending', 'validate', { port: 3999 }),
    ).rejects.toMatchObject({
      code: '23505',
    });
    await transitionWorkload(db.pool, a.id, 'validate', 'failed', { error: 'x', failureReason: 'validate' });
    expect((await transitionWorkload(db.pool, b.id, 'pending', 'validate', { port: 3999 }))?.port).toBe(3999);
  });
});
