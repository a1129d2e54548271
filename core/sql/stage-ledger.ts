/**
 * CTEs that keep `workload_stage` (one row per stage visit) in step with a
 * stage change, for the statement that makes it: `alias` is the CTE of the
 * moved rows (`returning *`, so `stage` is the new stage) and `fromStage` the
 * SQL for the stage they left. Being part of the statement, the visit is
 * closed and the next one opened exactly when the move commits, with the
 * move's own `now()`: no second round trip, and no timing that a crash
 * between two statements could lose. `on conflict do nothing` because a
 * ledger row must never make a stage change fail (rows of workloads older
 * than the ledger may be incomplete).
 */
export function recordStageChange(alias: string, fromStage: string): string {
  return `ledger_closed as (
       update "workload_stage" s set "left_at" = now(), "next_stage" = ${alias}."stage",
              "failure_reason" = ${alias}."failure_reason"
         from ${alias}
        where s."workload_id" = ${alias}."id" and s."stage" = ${fromStage}
     ), ledger_opened as (
       insert into "workload_stage" ("workload_id", "stage", "deployment_id", "entered_at")
       select "id", "stage", "deployment_id", now() from ${alias}
        where "stage" not in ('stopped', 'failed')
       on conflict do nothing
     )`;
}

/** The first visit (pending) of workloads just inserted as `alias`. */
export function recordCreation(alias: string): string {
  return `ledger_created as (
       insert into "workload_stage" ("workload_id", "stage", "deployment_id", "entered_at")
       select "id", "stage", "deployment_id", now() from ${alias}
     )`;
}
