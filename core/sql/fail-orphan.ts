import type pg from 'pg';
import { insertLogBatch } from './insert-logs.ts';
import { transitionWorkload } from './transition.ts';
import type { WorkloadRow } from './workload-row.ts';

/**
 * Fails a workload whose runner stopped heartbeating (the other runners'
 * sweep, and stopWorkload when nobody is left to stop it): the log entry
 * and the move to `failed` commit together, and the conditional transition
 * loses cleanly (null) if its runner came back and moved it first.
 */
export async function failOrphan(pool: pg.Pool, row: WorkloadRow): Promise<WorkloadRow | null> {
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
      failureReason: 'runner_lost',
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
