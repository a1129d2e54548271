import type { LogLevel, WorkloadStage } from '../stages.ts';
import type { Queryable } from './queryable.ts';

export interface LogEntryInput {
  ts: Date;
  stage: WorkloadStage;
  level: LogLevel;
  message: string;
}

/** Channel that carries `<workload id>:<last seq>` after each committed batch. */
export const WORKLOAD_LOGS_CHANNEL = 'agentforge_workload_logs';

/**
 * Appends a batch of entries to one workload's log in a single statement:
 *
 * 1. `update workload set log_seq = log_seq + n` reserves the next n seq
 *    numbers. The row lock it takes serialises writers of the same workload
 *    until commit, so seq order is commit order and there are never gaps.
 * 2. One multi-row INSERT from `unnest` of parallel arrays (one round trip,
 *    one plan, however many rows).
 * 3. One NOTIFY with the workload id and the last seq — never the message,
 *    since payloads are capped at 8000 bytes.
 *
 * Returns the last seq written (0 when the batch is empty).
 */
export async function insertLogBatch(
  db: Queryable,
  workloadId: string,
  entries: LogEntryInput[],
): Promise<number> {
  if (entries.length === 0) return 0;
  const ts: Date[] = [];
  const stages: string[] = [];
  const levels: string[] = [];
  const messages: string[] = [];
  for (const e of entries) {
    ts.push(e.ts);
    stages.push(e.stage);
    levels.push(e.level);
    messages.push(e.message);
  }
  const result = await db.query(
    `with reserved as (
       update "workload" set "log_seq" = "log_seq" + $2
        where "id" = $1
        returning "log_seq" - $2 as "base", "log_seq" as "last"
     ), inserted as (
       insert into "workload_log" ("workload_id", "seq", "ts", "stage", "level", "message")
       select $1, reserved.base + e.ord, e.ts, e.stage, e.level, e.message
         from reserved,
              unnest($3::timestamptz[], $4::text[], $5::text[], $6::text[])
                with ordinality as e(ts, stage, level, message, ord)
     )
     select reserved.last, pg_notify('${WORKLOAD_LOGS_CHANNEL}', $1 || ':' || reserved.last) from reserved`,
    [workloadId, entries.length, ts, stages, levels, messages],
  );
  const last = result.rows[0]?.last;
  if (last === undefined) throw new Error(`Workload ${workloadId} does not exist`);
  return last as number;
}
