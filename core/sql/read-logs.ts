import pg from 'pg';
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
 *
 * Unfiltered, the scan also ends at `after + limit`: seq has no gaps, so
 * that range holds the page exactly. Without that bound, a table not yet
 * analysed (a log just flooded in) got a bitmap scan of every row after
 * `after` and a sort, for each page: replaying 200,000 rows read the rest of
 * the log again per page (0.8 s a page instead of a few ms).
 */
export async function readLogs(db: Queryable, workloadId: string, filter: LogFilter): Promise<LogEntryRow[]> {
  const result = await db.query<[number, string, WorkloadStage, LogLevel, string]>({
    rowMode: 'array',
    types: TS_AS_TEXT,
    text: `select "seq", "ts", "stage", "level", "message"
       from "workload_log"
      where "workload_id" = $1 and "seq" > $2
        and "seq" <= least(
              (select "log_seq" from "workload" where "id" = $1),
              case when $3::text is null and $4::text is null then $2::bigint + $5 else 2147483647 end)
        and ($3::text is null or "stage" = $3)
        and ($4::text is null or "level" = $4)
      order by "seq"
      limit $5`,
    values: [workloadId, filter.after, filter.stage ?? null, filter.level ?? null, filter.limit],
  });
  const rows = result.rows;
  const entries = new Array<LogEntryRow>(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i] as [number, string, WorkloadStage, LogLevel, string];
    entries[i] = new StoredLogEntry(r[0], r[1], r[2], r[3], r[4]);
  }
  return entries;
}

const TIMESTAMPTZ_OID = 1184;
const parseTimestamptz = pg.types.getTypeParser(TIMESTAMPTZ_OID, 'text') as (text: string) => Date;

/**
 * The type parsers of log reads (this one and read-log-page.ts): `ts` stays the text PostgreSQL sent. Parsing it
 * into a Date was the largest cost of reading a log page in the API (more
 * than the rest of the row), and most readers (a subscriber asking for
 * `seq level message`) never look at it: StoredLogEntry parses it when asked.
 */
export const TS_AS_TEXT = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === TIMESTAMPTZ_OID ? (text: string) => text : pg.types.getTypeParser(oid, format)) as never,
};

/** A stored entry whose timestamp is parsed on first use (once, then kept). */
export class StoredLogEntry implements LogEntryRow {
  private parsed: Date | undefined;
  constructor(
    readonly seq: number,
    private readonly ts: string,
    readonly stage: WorkloadStage,
    readonly level: LogLevel,
    readonly message: string,
  ) {}

  get timestamp(): Date {
    if (this.parsed === undefined) this.parsed = parseTimestamptz(this.ts);
    return this.parsed;
  }

  toJSON(): object {
    return {
      seq: this.seq,
      timestamp: this.timestamp,
      stage: this.stage,
      level: this.level,
      message: this.message,
    };
  }
}
