import type { LogLevel, WorkloadStage } from '../stages.ts';
import type { Queryable } from './queryable.ts';

export interface LogEntryInput {
  /** A Date, or ms since the epoch. */
  ts: Date | number;
  stage: WorkloadStage;
  level: LogLevel;
  message: string;
}

/** Channel that carries `<workload id>:<last seq>` after each committed batch. */
export const WORKLOAD_LOGS_CHANNEL = 'agentforge_workload_logs';

/**
 * Appends a batch of entries to one workload's log in a single statement
 * (one round trip: the quickest way to store a few entries; big batches go
 * by COPY, see copy-logs.ts):
 *
 * 1. `update workload set log_seq = log_seq + n` reserves the next n seq
 *    numbers. The row lock it takes serialises writers of the same workload
 *    until commit, so seq order is commit order and there are never gaps.
 * 2. One multi-row INSERT from `unnest` of parallel arrays (one round trip,
 *    one plan, however many rows).
 * 3. One NOTIFY with the workload id and the last seq — never the message,
 *    since payloads are capped at 8000 bytes.
 *
 * With `expectedLast`, the batch is written only if the log still ends at
 * that seq (`and log_seq = $7`): a writer that retries after a lost answer
 * can tell "my batch committed" from "nothing happened" instead of writing
 * it twice. Then the answer is null when the log ends elsewhere.
 *
 * Returns the last seq written (0 when the batch is empty).
 */
export async function insertLogBatch(
  db: Queryable,
  workloadId: string,
  entries: LogEntryInput[],
): Promise<number>;
export async function insertLogBatch(
  db: Queryable,
  workloadId: string,
  entries: LogEntryInput[],
  expectedLast: number | null,
): Promise<number | null>;
export async function insertLogBatch(
  db: Queryable,
  workloadId: string,
  entries: LogEntryInput[],
  expectedLast: number | null = null,
): Promise<number | null> {
  if (entries.length === 0) return expectedLast ?? 0;
  const ts: Date[] = [];
  const stages: string[] = [];
  const levels: string[] = [];
  const messages: string[] = [];
  for (const e of entries) {
    ts.push(typeof e.ts === 'number' ? new Date(e.ts) : e.ts);
    stages.push(e.stage);
    levels.push(e.level);
    messages.push(e.message);
  }
  const result = await db.query(
    `with reserved as (
       update "workload" set "log_seq" = "log_seq" + $2
        where "id" = $1 and ($7::int is null or "log_seq" = $7)
        returning "log_seq" - $2 as "base", "log_seq" as "last"
     ), inserted as (
       insert into "workload_log" ("workload_id", "seq", "ts", "stage", "level", "message")
       select $1, reserved.base + e.ord, e.ts, e.stage, e.level, e.message
         from reserved,
              unnest($3::timestamptz[], $4::text[], $5::text[], $6::text[])
                with ordinality as e(ts, stage, level, message, ord)
     )
     select reserved.last, pg_notify('${WORKLOAD_LOGS_CHANNEL}', $1 || ':' || reserved.last) from reserved`,
    [workloadId, entries.length, ts, stages, levels, messages, expectedLast],
  );
  const last = result.rows[0]?.last;
  if (last !== undefined) return last as number;
  if (expectedLast === null) throw new WorkloadGoneError(workloadId);
  return null;
}

/** The last seq of a workload's log, or null when the workload does not exist. */
export async function logSeqOf(db: Queryable, workloadId: string): Promise<number | null> {
  const result = await db.query(`select "log_seq" from "workload" where "id" = $1`, [workloadId]);
  return (result.rows[0]?.log_seq as number | undefined) ?? null;
}

/** Log entries for a workload that does not exist (any more). */
export class WorkloadGoneError extends Error {
  override name = 'WorkloadGoneError';
  constructor(readonly workloadId: string) {
    super(`Workload ${workloadId} does not exist`);
  }
}
