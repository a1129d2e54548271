import { randomUUID } from 'node:crypto';
import { WORKLOAD_CREATED_CHANNEL } from './create-workload.ts';
import type { Queryable } from './queryable.ts';
import { recordCreation } from './stage-ledger.ts';
import { toWorkloadRow, type WorkloadRow } from './workload-row.ts';

/**
 * Inserts the restart of `ended`: a `pending` workload of the same
 * deployment and service path, linked by `restart_of`, that no runner
 * claims before `scheduled_at` (claim.ts). `scheduled_at` is computed by the
 * database from its own clock, the one the claim compares with. Runners are
 * woken at commit (they also poll, so one that missed it claims it late,
 * never early). Its pending visit opens in the stage ledger in the same
 * statement, as for a created workload.
 */
export async function insertRestart(
  db: Queryable,
  ended: Pick<WorkloadRow, 'id' | 'deploymentId' | 'servicePath'>,
  plan: { attempt: number; restartCount: number; delayMs: number },
): Promise<WorkloadRow> {
  const result = await db.query(
    `with created as (
       insert into "workload" ("id", "deployment_id", "service_path", "stage", "restart_of", "attempt",
                               "restart_count", "scheduled_at", "created_at", "updated_at")
       values ($1, $2, $3, 'pending', $4, $5, $6,
               date_trunc('milliseconds', now() + $7 * interval '1 millisecond'),
               date_trunc('milliseconds', now()), now())
       returning *
     ), ${recordCreation('created')}
     select created.*, pg_notify('${WORKLOAD_CREATED_CHANNEL}', created.id::text) from created`,
    [
      randomUUID(),
      ended.deploymentId,
      ended.servicePath,
      ended.id,
      plan.attempt,
      plan.restartCount,
      plan.delayMs,
    ],
  );
  return toWorkloadRow(result.rows[0]);
}
