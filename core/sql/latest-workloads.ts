import type { Queryable } from './queryable.ts';
import { toWorkloadRow, type WorkloadRow } from './workload-row.ts';

/**
 * The newest workload of each of these deployments, in one statement: what
 * `Deployment.status` and `Deployment.currentWorkload` need for a whole list
 * of deployments (batched per request), instead of one query per row.
 *
 * Shaped as `unnest` + `lateral … limit 1` rather than `distinct on` over
 * every workload of the deployments: each deployment costs one backward step
 * on the (deployment_id, created_at) index however long its history is.
 * Deployments without a workload are simply absent from the result.
 */
export async function latestWorkloads(
  db: Queryable,
  deploymentIds: readonly string[],
): Promise<WorkloadRow[]> {
  const result = await db.query(
    `select w.*
       from unnest($1::uuid[]) as d("id")
       cross join lateral (
         select * from "workload"
          where "deployment_id" = d."id"
          order by "created_at" desc, "id" desc
          limit 1
       ) w`,
    [deploymentIds],
  );
  return result.rows.map(toWorkloadRow);
}
