import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPool } from '../../core/db/pool.ts';
import { copyLogBatch } from '../../core/sql/copy-logs.ts';
import { insertLogBatch, WorkloadGoneError } from '../../core/sql/insert-logs.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { runningWorkload } from './helpers.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db?.drop());

const MISSING = '00000000-0000-4000-8000-000000000000';

const rowsOf = (n: number, from = 1) =>
  Array.from({ length: n }, (_, i) => ({
    ts: Date.now(),
    stage: 'running' as const,
    level: 'info' as const,
    message: `line ${from + i}`,
  }));

const logRows = async (id: string) =>
  (await db.pool.query('select count(*)::int as n from workload_log where workload_id = $1', [id])).rows[0]
    .n as number;

const deploymentOf = async (id: string) =>
  (await db.pool.query('select deployment_id from workload where id = $1', [id])).rows[0]
    .deployment_id as string;

describe('the log table', () => {
  it('has no foreign key to workload, and no setting of the session is needed to write it fast', async () => {
    const { rows } = await db.pool.query(
      `select conname from pg_constraint where conrelid = 'workload_log'::regclass and contype = 'f'`,
    );
    expect(rows).toEqual([]);
    const { rows: triggers } = await db.pool.query(
      `select tgname from pg_trigger where tgrelid = 'workload_log'::regclass and not tgisinternal`,
    );
    expect(triggers).toEqual([]);
  });

  it('loses the log of a deleted workload: one statement, several workloads, others kept', async () => {
    const [a, b, kept] = [
      await runningWorkload(db.pool),
      await runningWorkload(db.pool),
      await runningWorkload(db.pool),
    ];
    for (const id of [a, b, kept]) {
      await copyLogBatch(db.pool, id, rowsOf(300), 0);
      await insertLogBatch(db.pool, id, rowsOf(2, 301));
    }
    await db.pool.query('delete from workload where id = any($1::uuid[])', [[a, b]]);
    expect([await logRows(a), await logRows(b), await logRows(kept)]).toEqual([0, 0, 302]);
  });

  it('loses the log of workloads deleted by cascade from their deployment and project', async () => {
    const one = await runningWorkload(db.pool);
    const two = await runningWorkload(db.pool);
    await copyLogBatch(db.pool, one, rowsOf(150), 0);
    await copyLogBatch(db.pool, two, rowsOf(150), 0);
    await db.pool.query('delete from deployment where id = $1', [await deploymentOf(one)]);
    expect(await logRows(one)).toBe(0);
    expect(await logRows(two)).toBe(150);
    const project = (
      await db.pool.query('select project_id from deployment where id = $1', [await deploymentOf(two)])
    ).rows[0].project_id;
    await db.pool.query('delete from project where id = $1', [project]);
    expect(await logRows(two)).toBe(0);
  });

  it.each([
    ['INSERT', 5],
    ['COPY', 500],
  ])(
    'refuses a batch for a workload that does not exist (%s): the reservation finds no row, nothing is written',
    async (_, n) => {
      const write = n > 100 ? copyLogBatch : insertLogBatch;
      await expect(write(db.pool, MISSING, rowsOf(n), null)).rejects.toBeInstanceOf(WorkloadGoneError);
      // Told where the log should end, the writer gets null: no workload, no log.
      expect(await write(db.pool, MISSING, rowsOf(n), 0)).toBeNull();
      expect(await logRows(MISSING)).toBe(0);
      expect(db.pool.totalCount - db.pool.idleCount).toBe(0);
    },
  );

  it('a delete that waits for a batch in progress removes the batch with the workload; a batch that waits for a delete is refused', async () => {
    // Batch first: its reservation holds the row; the delete waits, then its trigger sees the committed rows.
    const first = await runningWorkload(db.pool);
    const batch = await db.pool.connect();
    try {
      await batch.query('begin');
      expect(await insertLogBatch(batch, first, rowsOf(3))).toBe(3);
      const deleting = db.pool.query('delete from workload where id = $1', [first]);
      await waitForLockWait();
      await batch.query('commit');
      await deleting;
    } finally {
      batch.release();
    }
    expect(await logRows(first)).toBe(0);

    // Delete first: the batch's reservation waits for the row, finds it gone, writes nothing.
    const second = await runningWorkload(db.pool);
    const deleter = await db.pool.connect();
    try {
      await deleter.query('begin');
      await deleter.query('delete from workload where id = $1', [second]);
      // The expectation is attached at once: the refusal can come before the commit's own answer.
      const refused = expect(copyLogBatch(db.pool, second, rowsOf(200), null)).rejects.toBeInstanceOf(
        WorkloadGoneError,
      );
      await waitForLockWait();
      await deleter.query('commit');
      await refused;
    } finally {
      deleter.release();
    }
    expect(await logRows(second)).toBe(0);
  });

  it('is written by a role that is neither superuser nor owner, with the grants a writer needs and no more', async () => {
    const role = `${db.name}_writer`;
    // With a password: the embedded server asks for one, the system one may not.
    await db.pool.query(`create role "${role}" login password 'writer-test'`);
    await db.pool.query(`grant select, update on workload to "${role}"`);
    await db.pool.query(`grant insert on workload_log to "${role}"`);
    const url = new URL(db.url);
    url.username = role;
    url.password = 'writer-test';
    const limited = openPool({ connectionString: url.toString(), max: 2, applicationName: role });
    try {
      const id = await runningWorkload(db.pool);
      expect(await copyLogBatch(limited, id, rowsOf(250), 0)).toBe(250);
      expect(await insertLogBatch(limited, id, rowsOf(2, 251), 250)).toBe(252);
      expect(await logRows(id)).toBe(252);
      await expect(copyLogBatch(limited, MISSING, rowsOf(150), null)).rejects.toBeInstanceOf(
        WorkloadGoneError,
      );
    } finally {
      await limited.end();
      await db.pool.query(`drop owned by "${role}"`);
      await db.pool.query(`drop role "${role}"`);
    }
  });
});

/** Until some statement of this database waits for a lock (the other side of the race is blocked). */
async function waitForLockWait(): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const { rows } = await db.pool.query(
      `select count(*)::int as n from pg_stat_activity
        where datname = current_database() and wait_event_type = 'Lock'`,
    );
    if (rows[0].n > 0) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('No statement ever waited for the lock');
}
