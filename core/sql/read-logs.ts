import type { LogLevel, WorkloadStage } from '../stages.ts';
import type { Queryable } from './queryable.ts';

export interface LogEntryRow {
  seq: number;
  timestamp: Date;
  stage: WorkloadStage;
  level: LogLevel;
  message: string;
}

export interface LogFilter {
  after: number;
  limit: number;
  stage?: WorkloadStage | null;
  level?: LogLevel | null;
}

/**
 * Entries with `seq > after` in seq order, served by the (workload_id, seq)
 * primary key. The scan ends at the workload's `log_seq` as this statement's
 * snapshot sees it: every writer reserves its seq range there in the
 * transaction that inserts the rows, so the bound is exactly the committed
 * end of the log. Without it, a read that reaches the end walks every index
 * entry of a batch still being written (up to 20,000 rows, none visible)
 * only to skip them: while a service floods its log that was most of the
 * API's database time.
 */
export async function readLogs(db: Queryable, workloadId: string, filter: LogFilter): Promise<LogEntryRow[]> {
  const result = await db.query(
    `select "seq", "ts" as "timestamp", "stage", "level", "message"
       from "workload_log"
      where "workload_id" = $1 and "seq" > $2
        and "seq" <= (select "log_seq" from "workload" where "id" = $1)
        and ($3::text is null or "stage" = $3)
        and ($4::text is null or "level" = $4)
      order by "seq"
      limit $5`,
    [workloadId, filter.after, filter.stage ?? null, filter.level ?? null, filter.limit],
  );
  return result.rows as LogEntryRow[];
}
