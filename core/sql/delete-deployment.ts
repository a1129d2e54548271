import type pg from 'pg';
import type { WorkloadStage } from '../stages.ts';

export type DeleteOutcome =
  | { deleted: true }
  | { deleted: false; reason: 'not_found' }
  | { deleted: false; reason: 'live'; workloadId: string; stage: WorkloadStage };

/**
 * Deletes a deployment (its workloads and their logs go with it, by the
 * foreign keys' cascade) unless one of its workloads is live, pending
 * restarts included. Two statements in one transaction, because one would
 * not do: locking the row `for update` first makes a concurrent
 * createWorkload (whose foreign key check takes a key-share lock on it) and
 * a runner scheduling a restart (restart-policy.ts) wait for us or go
 * first; the live check that follows runs on a new snapshot, so it sees
 * whatever went first.
 */
export async function deleteDeployment(pool: pg.Pool, id: string): Promise<DeleteOutcome> {
  const client = await pool.connect();
  try {
    await client.query('begin');
    const locked = await client.query(`select 1 from "deployment" where "id" = $1 for update`, [id]);
    if (locked.rowCount === 0) {
      await client.query('rollback');
      return { deleted: false, reason: 'not_found' };
    }
    const live = await client.query(
      `select "id", "stage" from "workload"
        where "deployment_id" = $1 and "stage" not in ('stopped', 'failed')
        order by "created_at" desc limit 1`,
      [id],
    );
    const row = live.rows[0];
    if (row) {
      await client.query('rollback');
      return { deleted: false, reason: 'live', workloadId: row.id, stage: row.stage };
    }
    await client.query(`delete from "deployment" where "id" = $1`, [id]);
    await client.query('commit');
    return { deleted: true };
  } catch (error) {
    await client.query('rollback').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}
