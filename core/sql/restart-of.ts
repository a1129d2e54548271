import type { Queryable } from './queryable.ts';
import { toWorkloadRow, type WorkloadRow } from './workload-row.ts';

/** The restart created for workload `id`, if any (served by the restart_of index). */
export async function restartOf(db: Queryable, id: string): Promise<WorkloadRow | null> {
  const result = await db.query(`select * from "workload" where "restart_of" = $1 limit 1`, [id]);
  const row = result.rows[0];
  return row ? toWorkloadRow(row) : null;
}
