import type { Queryable } from './queryable.ts';
import { toWorkloadRow, type WorkloadRow } from './workload-row.ts';

/** A deployment's newest workload (served by the (deployment_id, created_at) index). */
export async function latestWorkload(db: Queryable, deploymentId: string): Promise<WorkloadRow | null> {
  const result = await db.query(
    `select * from "workload" where "deployment_id" = $1 order by "created_at" desc, "id" desc limit 1`,
    [deploymentId],
  );
  const row = result.rows[0];
  return row ? toWorkloadRow(row) : null;
}
