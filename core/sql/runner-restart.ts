import type { Runner } from '../db/entities/index.ts';
import type { Queryable } from './queryable.ts';

/** Channel a runner LISTENs on; the payload is the runner's id. */
export const RUNNER_RESTART_CHANNEL = 'agentforge_runner_restart';

/**
 * Asks runners to restart their claim loop and database connections.
 *
 * One statement: the UPDATE stamps `restart_requested_at` and the NOTIFY for
 * each row it changed rides in the same statement, so a runner is only told
 * to look once the request is committed and visible to it. A runner that
 * misses the notification still sees the stamp on its next heartbeat.
 *
 * `ids = null` means every live runner: not stopped, heartbeat younger than
 * `aliveMs` (the same rule as `Runner.alive`).
 */
export async function requestRunnerRestart(
  db: Queryable,
  ids: readonly string[] | null,
  aliveMs: number,
): Promise<Runner[]> {
  const result = await db.query(
    `with requested as (
       update "runner" set "restart_requested_at" = now()
        where "stopped_at" is null
          and "last_heartbeat_at" > now() - make_interval(secs => $2::double precision / 1000)
          and ($1::uuid[] is null or "id" = any($1::uuid[]))
        returning *
     )
     select requested.*, pg_notify('${RUNNER_RESTART_CHANNEL}', requested.id::text) from requested
      order by requested.last_heartbeat_at desc`,
    [ids, aliveMs],
  );
  return result.rows.map(toRunner);
}

/** Re-reads runner rows (the restart wait polls these until each runner confirms). */
export async function readRunners(db: Queryable, ids: readonly string[]): Promise<Runner[]> {
  const result = await db.query(
    `select * from "runner" where "id" = any($1::uuid[]) order by "last_heartbeat_at" desc`,
    [ids],
  );
  return result.rows.map(toRunner);
}

/**
 * How many of these runners have not yet confirmed their restart
 * (`restarted_at >= restart_requested_at`). Compared in SQL, at the
 * database's microsecond precision, not on millisecond JS dates.
 */
export async function countUnconfirmedRestarts(db: Queryable, ids: readonly string[]): Promise<number> {
  const result = await db.query(
    `select count(*)::int as "n" from "runner"
      where "id" = any($1::uuid[])
        and not coalesce("restarted_at" >= "restart_requested_at", false)`,
    [ids],
  );
  return result.rows[0].n as number;
}

function toRunner(row: Record<string, unknown>): Runner {
  return {
    id: row.id as string,
    hostname: row.hostname as string,
    pid: row.pid as number,
    concurrency: row.concurrency as number,
    activeWorkloads: row.active_workloads as number,
    startedAt: row.started_at as Date,
    lastHeartbeatAt: row.last_heartbeat_at as Date,
    stoppedAt: (row.stopped_at as Date | null) ?? null,
    restartRequestedAt: (row.restart_requested_at as Date | null) ?? null,
    restartedAt: (row.restarted_at as Date | null) ?? null,
  } as Runner;
}
