import type pg from 'pg';
import { insertLogBatch } from './insert-logs.ts';
import { transitionWorkload } from './transition.ts';
import type { WorkloadRow } from './workload-row.ts';

/**
 * Cancels a workload no runner has claimed yet: its log entry and the move
 * `pending → failed` commit together (the entry is never after the terminal
 * stage). Returns null when a runner claimed it first.
 */
export async function cancelPending(pool: pg.Pool, workloadId: string): Promise<WorkloadRow | null> {
  const error = 'Cancelled by user during pending';
  const client = await pool.connect();
  try {
    await client.query('begin');
    // The log batch locks the row first, so a runner's claim skips it until we are done.
    await insertLogBatch(client, workloadId, [
      { ts: new Date(), stage: 'pending', level: 'error', message: error },
    ]);
    const row = await transitionWorkload(client, workloadId, 'pending', 'failed', {
      error,
      failedStage: 'pending',
      failureReason: 'cancelled',
    });
    if (!row) {
      await client.query('rollback');
      return null;
    }
    await client.query('commit');
    return row;
  } catch (e) {
    await client.query('rollback').catch(() => {});
    throw e;
  } finally {
    client.release();
  }
}
