import type { WorkloadStage } from '../stages.ts';
import type { Queryable } from './queryable.ts';
import { toWorkloadRow, type WorkloadRow } from './workload-row.ts';

export interface WorkloadPageQuery {
  deploymentId: string | null;
  stage: WorkloadStage | null;
  /** The last row of the previous page, or null for the first page. */
  after: { createdAt: Date; id: string } | null;
  /** Rows to return; the caller asks for one more than it shows to learn whether a next page exists. */
  limit: number;
}

/**
 * One page of workloads, newest first, by keyset: everything strictly after
 * the cursor in (created_at desc, id desc) order, so pages never shift when
 * new workloads arrive. The row comparison `(created_at, id) < ($3, $4)`
 * keeps ties on created_at in a stable order and lets PostgreSQL walk the
 * (deployment_id, created_at) or (created_at) index backwards from the
 * cursor instead of counting an offset. Null filters are no-ops, so one
 * statement serves both `Query.workloads` and `Deployment.workloads`.
 */
export async function workloadPage(db: Queryable, query: WorkloadPageQuery): Promise<WorkloadRow[]> {
  const { rows } = await db.query(
    `select * from "workload"
      where ($1::uuid is null or "deployment_id" = $1)
        and ($2::text is null or "stage" = $2)
        and ($3::timestamptz is null or ("created_at", "id") < ($3, $4::uuid))
      order by "created_at" desc, "id" desc
      limit $5`,
    [query.deploymentId, query.stage, query.after?.createdAt ?? null, query.after?.id ?? null, query.limit],
  );
  return rows.map(toWorkloadRow);
}
