import { randomUUID } from 'node:crypto';
import { INITIAL_STAGE } from '../stages.ts';
import type { Queryable } from './queryable.ts';
import { recordCreation } from './stage-ledger.ts';
import { toWorkloadRow, type WorkloadRow } from './workload-row.ts';

/** Channel that wakes runners when a workload becomes claimable. */
export const WORKLOAD_CREATED_CHANNEL = 'agentforge_workload_created';

/** Inserts a `pending` workload, opens its pending visit in the stage ledger, and wakes the runners (delivered at commit). */
export async function createWorkloadRow(
  db: Queryable,
  deploymentId: string,
  servicePath: string,
): Promise<WorkloadRow> {
  const result = await db.query(
    `with created as (
       insert into "workload" ("id", "deployment_id", "service_path", "stage", "created_at", "updated_at")
       values ($1, $2, $3, '${INITIAL_STAGE}', date_trunc('milliseconds', now()), now())
       returning *
     ), ${recordCreation('created')}
     select created.*, pg_notify('${WORKLOAD_CREATED_CHANNEL}', created.id::text) from created`,
    [randomUUID(), deploymentId, servicePath],
  );
  return toWorkloadRow(result.rows[0]);
}
