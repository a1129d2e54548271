import { hostname } from 'node:os';
import { LIVE_STAGES, sqlStageList, TERMINAL_STAGES } from '../stages.ts';
import type { Queryable } from './queryable.ts';
import { toWorkloadRow, type WorkloadRow } from './workload-row.ts';

/**
 * Runner liveness is a lease: every heartbeat (`last_heartbeat_at`, in the
 * database's clock) holds the runner's workloads for this much longer, and a
 * runner whose lease has run out is gone (its live workloads are failed by
 * whoever notices first: any other runner, or the API). With a heartbeat
 * every 2 s and a sweep every 2 s, a runner killed without a word is noticed
 * within 12 s.
 */
export const RUNNER_LEASE_MS = 10_000;
/** How often a runner renews its lease; also how often runners and the API sweep. */
export const RUNNER_HEARTBEAT_MS = 2_000;

const TERMINAL = sqlStageList(TERMINAL_STAGES);

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
 * One statement per heartbeat: renews the lease (stamps the heartbeat), recounts the runner's
 * non-terminal workloads (served by the workload runner_id index), and says
 * whether a restart was requested since the last (re)start.
 */
export async function heartbeat(db: Queryable, id: string): Promise<{ restartDue: boolean }> {
  const result = await db.query(
    `update "runner" set "last_heartbeat_at" = now(),
            "active_workloads" = (select count(*) from "workload"
                                   where "runner_id" = $1 and "stage" not in ${TERMINAL})
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
      where "runner_id" = $1 and "stop_requested" and "stage" not in ${TERMINAL}`,
    [runnerId],
  );
  return result.rows.map((r) => r.id as string);
}

/**
 * The condition on runner `r` under which nobody will move its workloads
 * again: it stopped, or its lease ran out (crashed, killed, or cut off from
 * the database for longer than its lease). Judged in the database's clock,
 * so runners on hosts whose clocks disagree still agree on it. The one
 * definition for the sweep and for stopWorkload.
 */
const RUNNER_GONE = `(r."stopped_at" is not null
   or r."last_heartbeat_at" < now() - make_interval(secs => ${RUNNER_LEASE_MS / 1000}))`;

/**
 * Live workloads owned by runners that are gone (RUNNER_GONE), other than
 * `selfId` (null: any runner, as the API sweeps). Each is then failed with
 * its own conditional transition, so a runner that comes back and races
 * the sweep loses cleanly.
 */
export async function orphanedWorkloads(db: Queryable, selfId: string | null): Promise<WorkloadRow[]> {
  const result = await db.query(
    `select w.* from "workload" w
       join "runner" r on r."id" = w."runner_id"
      where w."stage" in ${sqlStageList(LIVE_STAGES)}
        and ($1::uuid is null or r."id" <> $1::uuid)
        and ${RUNNER_GONE}`,
    [selfId],
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
    [id],
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
    [ids],
  );
  return new Set(result.rows.map((r) => r.id as string));
}
