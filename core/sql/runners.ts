import { hostname } from 'node:os';
import type { Queryable } from './queryable.ts';
import { toWorkloadRow, type WorkloadRow } from './workload-row.ts';

/** A runner whose heartbeat is older than this is presumed dead: its workloads are failed. */
export const RUNNER_DEAD_AFTER_MS = 60_000;

export async function registerRunner(
  db: Queryable,
  id: string,
  pid: number,
  concurrency: number,
): Promise<void> {
  await db.query(
    `insert into "runner" ("id", "hostname", "pid", "concurrency", "active_workloads", "started_at", "last_heartbeat_at")
     values ($1, $2, $3, $4, 0, now(), now())`,
    [id, hostname(), pid, concurrency],
  );
}

/**
 * One statement per heartbeat: stamps the heartbeat, recounts the runner's
 * non-terminal workloads (served by the workload runner_id index), and says
 * whether a restart was requested since the last (re)start.
 */
export async function heartbeat(db: Queryable, id: string): Promise<{ restartDue: boolean }> {
  const result = await db.query(
    `update "runner" set "last_heartbeat_at" = now(),
            "active_workloads" = (select count(*) from "workload"
                                   where "runner_id" = $1 and "stage" not in ('stopped', 'failed'))
      where "id" = $1
      returning coalesce("restart_requested_at" > coalesce("restarted_at", "started_at"), false) as "restart_due"`,
    [id],
  );
  return { restartDue: result.rows[0]?.restart_due === true };
}

export async function markRestarted(db: Queryable, id: string): Promise<void> {
  await db.query(`update "runner" set "restarted_at" = now(), "last_heartbeat_at" = now() where "id" = $1`, [
    id,
  ]);
}

export async function markStopped(db: Queryable, id: string): Promise<void> {
  await db.query(
    `update "runner" set "stopped_at" = now(), "last_heartbeat_at" = now(), "active_workloads" = 0 where "id" = $1`,
    [id],
  );
}

/** Ids of this runner's live workloads with a stop request: a lost NOTIFY is caught by the next poll. */
export async function stopRequestedIds(db: Queryable, runnerId: string): Promise<string[]> {
  const result = await db.query(
    `select "id" from "workload"
      where "runner_id" = $1 and "stop_requested" and "stage" not in ('stopped', 'failed')`,
    [runnerId],
  );
  return result.rows.map((r) => r.id as string);
}

/**
 * The condition on runner `r` (with $2 = RUNNER_DEAD_AFTER_MS) under which
 * nobody will move its workloads again: it stopped, or its heartbeat is
 * older than RUNNER_DEAD_AFTER_MS (crashed or killed without a clean
 * shutdown). The one definition for the sweep and for stopWorkload.
 */
const RUNNER_GONE = `(r."stopped_at" is not null
   or r."last_heartbeat_at" < now() - make_interval(secs => $2::double precision / 1000))`;

/**
 * Live workloads owned by other runners that are gone (RUNNER_GONE). Each
 * is then failed with its own conditional transition, so a runner that
 * comes back and races us loses cleanly.
 */
export async function orphanedWorkloads(db: Queryable, selfId: string): Promise<WorkloadRow[]> {
  const result = await db.query(
    `select w.* from "workload" w
       join "runner" r on r."id" = w."runner_id"
      where w."stage" in ('validate', 'build', 'deploy', 'running')
        and r."id" <> $1
        and ${RUNNER_GONE}`,
    [selfId, RUNNER_DEAD_AFTER_MS],
  );
  return result.rows.map(toWorkloadRow);
}

/** Whether the runner that claimed workload `id` is gone (RUNNER_GONE); false when none claimed it. */
export async function ownerIsGone(db: Queryable, id: string): Promise<boolean> {
  const result = await db.query(
    `select ${RUNNER_GONE} as "gone"
       from "workload" w
       join "runner" r on r."id" = w."runner_id"
      where w."id" = $1`,
    [id, RUNNER_DEAD_AFTER_MS],
  );
  return result.rows[0]?.gone === true;
}

/**
 * Of `ids` (runner ids found on containers' labels), those of runners of
 * this database that are gone (RUNNER_GONE): their containers have no owner
 * left. Ids this database does not know may be another installation's on
 * the same engine, and are not in the answer.
 */
export async function goneRunnerIds(db: Queryable, ids: string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const result = await db.query(
    `select r."id" from "runner" r where r."id" = any($1::uuid[]) and ${RUNNER_GONE}`,
    [ids, RUNNER_DEAD_AFTER_MS],
  );
  return new Set(result.rows.map((r) => r.id as string));
}
