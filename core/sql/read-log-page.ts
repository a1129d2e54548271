import type { LogLevel, WorkloadStage } from '../stages.ts';
import type { Queryable } from './queryable.ts';
import { type LogEntryRow, StoredLogEntry, TS_AS_TEXT } from './read-logs.ts';

export interface LogPageLimit {
  /** Rows at most. */
  rows: number;
  /** Message bytes at most: the page ends with the row that reaches this (one row at least). */
  bytes: number;
}

export interface LogPage {
  entries: LogEntryRow[];
  /** The page ended at a limit: more entries may follow. */
  full: boolean;
}

/**
 * A page of a log for a live reader: entries with `seq > after` in seq
 * order, like readLogs (the same primary-key scan, bounded by the committed
 * end), but ending once the messages add up to `bytes`. A row count alone
 * let one page of 16 KiB messages be 32 MB in a subscriber's hands; the
 * running sum is a window over the rows the inner scan already limits, so
 * the server never holds more than about `bytes` of a page, whatever the
 * messages' sizes.
 */
export async function readLogPage(
  db: Queryable,
  workloadId: string,
  after: number,
  limit: LogPageLimit,
): Promise<LogPage> {
  const result = await db.query<[number, string, WorkloadStage, LogLevel, string, string]>({
    // Prepared once per connection: a live feed runs it for every batch it cannot take from a notification.
    name: 'agentforge_read_log_page',
    rowMode: 'array',
    // `ts` stays text until a client asks for it (see read-logs.ts).
    types: TS_AS_TEXT,
    text: `select "seq", "ts", "stage", "level", "message", "bytes"
       from (select "seq", "ts", "stage", "level", "message",
                    sum(octet_length("message")) over (order by "seq") as "bytes"
               from "workload_log"
              where "workload_id" = $1 and "seq" > $2
                -- seq has no gaps: the page's rows are at most these, which keeps
                -- the plan an index range scan even on a table not yet analysed.
                and "seq" <= $2 + $3
                and "seq" <= (select "log_seq" from "workload" where "id" = $1)
              order by "seq"
              limit $3) as "page"
      where "bytes" - octet_length("message") < $4
      order by "seq"`,
    values: [workloadId, after, limit.rows, limit.bytes],
  });
  const rows = result.rows;
  const last = rows.at(-1);
  const full = rows.length === limit.rows || (last !== undefined && Number(last[5]) >= limit.bytes);
  const entries = new Array<LogEntryRow>(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i] as [number, string, WorkloadStage, LogLevel, string, string];
    entries[i] = new StoredLogEntry(r[0], r[1], r[2], r[3], r[4]);
  }
  return { entries, full };
}

/**
 * How many rows the next page of a reader should scan. The byte bound is
 * applied after PostgreSQL has summed the rows the scan returned, so a page
 * of 2,000 rows of 4 KB lines cut at 1 MiB made PostgreSQL read 8 MB to
 * return one. The scan is therefore sized from the last page: twice as many
 * rows as the byte bound let through, growing back (doubling) while pages
 * are not cut by bytes, never more than `max`.
 */
export class PageRows {
  next: number;
  constructor(private readonly max: number) {
    this.next = max;
  }

  update(page: LogPage): void {
    const cutByBytes = page.full && page.entries.length < this.next;
    this.next = cutByBytes
      ? Math.max(16, Math.min(this.max, page.entries.length * 2))
      : Math.min(this.max, this.next * 2);
  }
}
