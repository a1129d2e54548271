import type { EnvVar } from '../db/entities/deployment.ts';
import { CLAIMED_STAGE, type Executor, INITIAL_STAGE } from '../stages.ts';
import type { Queryable } from './queryable.ts';
import { recordStageChange } from './stage-ledger.ts';
import { notifyWorkloadUpdated, toWorkloadRow, type WorkloadRow } from './workload-row.ts';

/** A claimed workload with what the runner needs from its deployment and project. */
export interface ClaimedWorkload {
  workload: WorkloadRow;
  executor: Executor;
  healthCheckPath: string | null;
  env: EnvVar[];
  rootPath: string;
  /** The deployment's periodic health check, as it is when the workload is claimed. */
  health: HealthSettings;
  /** The deployment's limits; null where it has none stored (the runner's defaults apply). */
  limits: { memoryMb: number | null; cpus: number | null; pids: number | null };
}

export interface HealthSettings {
  /** 0: no periodic checks. */
  intervalMs: number;
  timeoutMs: number;
  failureThreshold: number;
}

/**
 * Claims up to `limit` pending workloads for `runnerId`, oldest first, in one
 * statement:
 *
 * - a workload with a `scheduled_at` in the future (a restart waiting out
 *   its backoff) is not claimable yet; the database's clock decides, so
 *   runners on hosts whose clocks differ agree;
 *
 * - `picked`, a `select … for update skip locked`, locks the rows it picks
 *   and skips rows another runner (or a `cancelPending`) holds, so
 *   concurrent runners never block each other and no workload is claimed
 *   twice; the `stage = 'pending'` re-check of the UPDATE makes that hold
 *   under any isolation level;
 * - `picked` is MATERIALIZED, run once: written as `where id in (select …
 *   limit n …)` inside the UPDATE, the planner may put the subquery on the
 *   inner side of a nested loop and run it again for every pending row, and
 *   each run sees the rows this statement has locked as free (its own
 *   locks), so one claim of limit 4 took all 100 pending workloads;
 * - the UPDATE moves them to `validate` and records the owner, and the
 *   stage ledger closes their pending visit and opens validate;
 * - the outer select joins the deployment and project (executor, health
 *   check, env, limits, root path) so the runner needs no second round trip, and
 *   notifies `workloadUpdated` listeners (delivered at commit).
 */
export async function claimWorkloads(
  db: Queryable,
  runnerId: string,
  limit: number,
): Promise<ClaimedWorkload[]> {
  if (limit <= 0) return [];
  const result = await db.query(
    `with picked as materialized (
       select "id" from "workload"
        where "stage" = '${INITIAL_STAGE}' and ("scheduled_at" is null or "scheduled_at" <= now())
        order by "created_at" limit $2
        for update skip locked
     ), claimed as (
       update "workload" set "stage" = '${CLAIMED_STAGE}', "runner_id" = $1, "started_at" = now(), "updated_at" = now()
        where "id" in (select "id" from picked) and "stage" = '${INITIAL_STAGE}'
        returning *
     ), ${recordStageChange('claimed', `'${INITIAL_STAGE}'`)}
     select claimed.*, d."executor" as "deployment_executor", d."health_check_path", d."env",
            d."health_check_interval_ms", d."health_check_timeout_ms", d."health_check_failure_threshold",
            d."memory_limit_mb", d."cpu_limit", d."pids_limit", p."root_path", ${notifyWorkloadUpdated('claimed')}
       from claimed
       join "deployment" d on d."id" = claimed."deployment_id"
       join "project" p on p."id" = d."project_id"
      order by claimed."created_at"`,
    [runnerId, limit],
  );
  return result.rows.map((r) => ({
    workload: toWorkloadRow(r),
    executor: r.deployment_executor as Executor,
    healthCheckPath: r.health_check_path as string | null,
    env: (r.env ?? []) as EnvVar[],
    rootPath: r.root_path as string,
    health: {
      intervalMs: r.health_check_interval_ms as number,
      timeoutMs: r.health_check_timeout_ms as number,
      failureThreshold: r.health_check_failure_threshold as number,
    },
    limits: {
      memoryMb: r.memory_limit_mb as number | null,
      cpus: r.cpu_limit === null ? null : Number(r.cpu_limit),
      pids: r.pids_limit as number | null,
    },
  }));
}
