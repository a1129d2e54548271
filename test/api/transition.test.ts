import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkloadRow } from '../../core/sql/create-workload.ts';
import { getWorkloadRow, transitionWorkload } from '../../core/sql/transition.ts';
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

  it('refuses a move to failed without a failure reason, and a reason on any other move', async () => {
    const w = await createWorkloadRow(db.pool, deploymentId, 'svc');
    await expect(transitionWorkload(db.pool, w.id, 'pending', 'failed', { error: 'x' })).rejects.toThrow(
      /failure reason/,
    );
    await expect(
      transitionWorkload(db.pool, w.id, 'pending', 'validate', { failureReason: 'crash' }),
    ).rejects.toThrow(/failure reason/);
    expect((await getWorkloadRow(db.pool, w.id))?.stage).toBe('pending');
  });

  it('records each stage visit in the ledger in the same statement: entered, left, next stage, reason', async () => {
    const w = await createWorkloadRow(db.pool, deploymentId, 'svc');
    await transitionWorkload(db.pool, w.id, 'pending', 'validate');
    await transitionWorkload(db.pool, w.id, 'validate', 'build');
    // A move that loses (wrong expected stage) leaves the ledger alone.
    expect(await transitionWorkload(db.pool, w.id, 'validate', 'build')).toBeNull();
    const failed = await transitionWorkload(db.pool, w.id, 'build', 'failed', {
      error: 'npm ci failed',
      failedStage: 'build',
      failureReason: 'build',
    });
    const { rows } = await db.pool.query(
      `select stage, next_stage, failure_reason, entered_at, left_at, deployment_id from workload_stage
        where workload_id = $1 order by entered_at`,
      [w.id],
    );
    expect(rows.map((r) => [r.stage, r.next_stage, r.failure_reason])).toEqual([
      ['pending', 'validate', null],
      ['validate', 'build', null],
      ['build', 'failed', 'build'],
    ]);
    for (const r of rows) expect(r.deployment_id).toBe(deploymentId);
    // Each visit ends when the next begins, and the last when the workload finished.
    expect(rows[0].left_at).toEqual(rows[1].entered_at);
    expect(rows[1].left_at).toEqual(rows[2].entered_at);
    expect(rows[2].left_at).toEqual(failed?.finishedAt);
    expect(failed?.failureReason).toBe('build');
  });
});
