import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { seedDeployment } from '../support/seed.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db?.drop());

describe('migrations', () => {
  it('match the entities: a migrated database needs no new migration', async () => {
    expect(await db.orm.getMigrator().checkMigrationNeeded()).toBe(false);
  });

  it('put the constraints in the database', async () => {
    const { rows } = await db.pool.query(
      `select conname from pg_constraint where conrelid in ('workload'::regclass, 'workload_log'::regclass, 'deployment'::regclass)
       union select indexname from pg_indexes where tablename = 'workload'`,
    );
    const names = rows.map((r) => r.conname);
    expect(names).toEqual(
      expect.arrayContaining([
        'workload_terminal_finished_check',
        'workload_live_port_unique',
        'workload_log_pkey',
        'workload_deployment_id_foreign',
        'deployment_project_id_foreign',
      ]),
    );
    const deploymentId = await seedDeployment(db);
    const insert = (stage: string, finished: boolean, reason: string | null = null) =>
      db.pool.query(
        `insert into workload (id, deployment_id, service_path, stage, created_at, updated_at, finished_at, failure_reason)
         values (gen_random_uuid(), $1, 'x', $2, now(), now(), ${finished ? 'now()' : 'null'}, $3)`,
        [deploymentId, stage, reason],
      );
    await expect(insert('exploded', false)).rejects.toMatchObject({ code: '23514' });
    await expect(insert('failed', false, 'crash')).rejects.toMatchObject({ code: '23514' });
    await expect(insert('running', true)).rejects.toMatchObject({ code: '23514' });
    // A failure carries its reason, one of the known ones; nothing else does.
    await expect(insert('failed', true)).rejects.toMatchObject({ code: '23514' });
    await expect(insert('failed', true, 'gremlins')).rejects.toMatchObject({ code: '23514' });
    await expect(insert('stopped', true, 'crash')).rejects.toMatchObject({ code: '23514' });
    await expect(insert('failed', true, 'crash')).resolves.toBeTruthy();
  });
});
