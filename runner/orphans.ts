import type pg from 'pg';
import { insertLogBatch } from '../src/sql/insert-logs.ts';
import { transitionWorkload } from '../src/sql/transition.ts';
import type { WorkloadRow } from '../src/sql/workload-row.ts';

/**
 * Fails a workload whose runner stopped heartbeating: the log entry and the
 * move to `failed` commit together, and the conditional transition loses
 * cleanly (null) if its runner came back and moved it first.
 */
export async function cancelOrphan(pool: pg.Pool, row: WorkloadRow): Promise<WorkloadRow | null> {
  const error = `Runner ${row.runnerId} stopped responding`;
  const client = await pool.connect();
  try {
    await client.query('begin');
    await insertLogBatch(client, row.id, [
      { ts: new Date(), stage: row.stage, level: 'error', message: error },
    ]);
    const moved = await transitionWorkload(client, row.id, row.stage, 'failed', {
      error,
      failedStage: row.stage,
    });
    await client.query(moved ? 'commit' : 'rollback');
    return moved;
  } catch (e) {
    await client.query('rollback').catch(() => undefined);
    throw e;
  } finally {
    client.release();
  }
}
