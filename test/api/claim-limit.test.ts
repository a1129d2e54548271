import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimWorkloads } from '../../core/sql/claim.ts';
import { registerRunner } from '../../core/sql/runners.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { seedDeployment } from '../support/seed.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db?.drop());

describe('claimWorkloads', () => {
  it('claims at most its limit, oldest first, however many are pending', async () => {
    const deploymentId = await seedDeployment(db);
    const runnerId = randomUUID();
    await registerRunner(db.pool, runnerId, 1, 4);
    // A fresh table without statistics: the plan that re-ran the picking subquery per row.
    await db.pool.query(
      `insert into workload (id, deployment_id, service_path, stage, created_at, updated_at)
       select gen_random_uuid(), $1, 'svc', 'pending', now() + make_interval(secs => n), now()
         from generate_series(1, 100) n`,
      [deploymentId],
    );
    const oldest = (
      await db.pool.query(`select id from workload where stage = 'pending' order by created_at limit 4`)
    ).rows.map((r) => r.id);
    const claimed = await claimWorkloads(db.pool, runnerId, 4);
    expect(claimed.map((c) => c.workload.id)).toEqual(oldest);
    const { rows } = await db.pool.query(`select count(*)::int as n from workload where stage = 'pending'`);
    expect(rows[0].n).toBe(96);
  });
});
