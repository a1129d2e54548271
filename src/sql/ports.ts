import { type Queryable, SQLSTATE, sqlState } from './queryable.ts';
import { notifyWorkloadUpdated } from './workload-row.ts';

/**
 * Records `port` on a live workload. The partial unique index
 * `workload_live_port_unique` (port of every non-terminal workload) is the
 * arbiter across runners and hosts: of two runners picking the same port,
 * the second gets SQLSTATE 23505 and we answer `false` so it tries another.
 * A terminal stage takes the row out of the index, which releases the port.
 */
export async function reservePort(db: Queryable, workloadId: string, port: number): Promise<boolean> {
  try {
    const result = await db.query(
      `with changed as (
         update "workload" set "port" = $2, "updated_at" = now()
          where "id" = $1 and "stage" not in ('stopped', 'failed')
          returning *
       )
       select ${notifyWorkloadUpdated('changed')} from changed`,
      [workloadId, port],
    );
    if (result.rowCount === 0) throw new Error(`Workload ${workloadId} is no longer live`);
    return true;
  } catch (error) {
    if (sqlState(error) === SQLSTATE.uniqueViolation) return false;
    throw error;
  }
}
