import type { LogLevel, WorkloadStage } from '../stages.ts';
import { notifiedRows } from './log-notification.ts';
import type { Queryable } from './queryable.ts';
import { notifyLogBatch, RESERVE_LOG_SEQ, WorkloadGoneError } from './reserve-log-seq.ts';

export interface LogEntryInput {
  /** A Date, or ms since the epoch. */
  ts: Date | number;
  stage: WorkloadStage;
  level: LogLevel;
  message: string;
}

export { WORKLOAD_LOGS_CHANNEL, WorkloadGoneError } from './reserve-log-seq.ts';

/**
 * Appends a batch of entries to one workload's log in a single statement
 * (one round trip: the quickest way to store a few entries; big batches go
 * by COPY, see copy-logs.ts):
 *
 * 1. the seq reservation on the workload row (reserve-log-seq.ts: seq order
 *    is commit order, no gaps, nothing written for a missing workload);
 * 2. one multi-row INSERT from `unnest` of parallel arrays (one round trip,
 *    one plan, however many rows), numbered from the reserved base;
 * 3. one NOTIFY with the workload id and the last seq, and the entries
 *    themselves when they fit (log-notification.ts).
 *
 * With `expectedLast`, the batch is written only if the log still ends at
 * that seq: a writer that retries after a lost answer can tell "my batch
 * committed" from "nothing happened" instead of writing it twice. Then the
 * answer is null when the log ends elsewhere (or the workload is gone).
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
  const result = await db.query({
    // Prepared once per connection: planning this statement cost the server more than running it.
    name: 'agentforge_insert_logs',
    text: `with reserved as (${RESERVE_LOG_SEQ}
     ), inserted as (
       insert into "workload_log" ("workload_id", "seq", "ts", "stage", "level", "message")
       select $1, reserved.base + e.ord, e.ts, e.stage, e.level, e.message
         from reserved,
              unnest($4::timestamptz[], $5::text[], $6::text[], $7::text[])
                with ordinality as e(ts, stage, level, message, ord)
     )
     select reserved.last, ${notifyLogBatch('$8::text')} from reserved`,
    values: [workloadId, entries.length, expectedLast, ts, stages, levels, messages, notifiedRows(entries)],
  });
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
