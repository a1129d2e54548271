import type { Queryable } from './queryable.ts';
import { toWorkloadRow, type WorkloadRow } from './workload-row.ts';

/** Workloads by id, one statement for a list (the GraphQL loaders batch with it). */
export async function workloadsById(db: Queryable, ids: string[]): Promise<WorkloadRow[]> {
  const result = await db.query(`select * from "workload" where "id" = any($1::uuid[])`, [ids]);
  return result.rows.map(toWorkloadRow);
}

/**
 * The restarts made of the workloads `ids` (their `restart_of` is one of
 * them), one statement for a list, served by the restart_of index.
 */
export async function restartsOf(db: Queryable, ids: string[]): Promise<WorkloadRow[]> {
  const result = await db.query(`select * from "workload" where "restart_of" = any($1::uuid[])`, [ids]);
  return result.rows.map(toWorkloadRow);
}
