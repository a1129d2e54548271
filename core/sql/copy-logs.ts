import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { LogLevel, WorkloadStage } from '../stages.ts';
import { notifyLogBatch, RESERVE_LOG_SEQ, WorkloadGoneError } from './reserve-log-seq.ts';

/** One entry as the runner's log writer queues it: `ts` in ms since the epoch (no Date per line). */
export interface LogRow {
  ts: number;
  stage: WorkloadStage;
  level: LogLevel;
  message: string;
}

/**
 * Appends a batch of entries to one workload's log with COPY, the fastest way
 * into PostgreSQL (multi-row heap inserts, no per-row parameter arrays), in
 * one transaction of four round trips:
 *
 * 1. `begin`;
 * 2. the seq reservation on the workload row (reserve-log-seq.ts), which
 *    also queues the NOTIFY: seq order is commit order with no gaps, the
 *    notification is only delivered if the rows commit, and no row comes
 *    back for a missing workload (then nothing is written);
 * 3. `copy workload_log … from stdin` in text format, the rows numbered from
 *    the reserved base;
 * 4. `commit`.
 *
 * The log table has no per-row foreign key (a trigger call per row, two
 * thirds of what a COPY of log rows costs the server): step 2 already
 * proves the workload exists and holds its row until commit.
 *
 * With `expectedLast`, nothing is written unless the log still ends at that
 * seq: a writer that retries after a lost answer can tell "my batch
 * committed" from "nothing happened". The answer is then null when the log
 * ends elsewhere; without it a missing workload is a WorkloadGoneError.
 *
 * On any error the connection is discarded rather than returned to the pool
 * (the server rolls the transaction back when it goes). `pool` is one of
 * core/db/pool.ts. Returns the last seq.
 */
export async function copyLogBatch(
  pool: pg.Pool,
  workloadId: string,
  rows: LogRow[],
  expectedLast: number | null,
): Promise<number | null> {
  if (rows.length === 0) return expectedLast ?? 0;
  // Between our round trips the connection can die (server restart,
  // pg_terminate_backend): the pool's own listener (core/db/pool.ts) keeps
  // that from being uncaught, the next query rejects with it and the catch
  // below discards the client.
  const client = await pool.connect();
  let last: number | null;
  try {
    last = await reserveAndCopy(client, workloadId, rows, expectedLast);
  } catch (error) {
    client.release(error instanceof Error ? error : true);
    throw error;
  }
  client.release();
  if (last === null && expectedLast === null) throw new WorkloadGoneError(workloadId);
  return last;
}

/** The transaction itself; null (rolled back) when the workload is gone or its log ends elsewhere. */
async function reserveAndCopy(
  client: pg.PoolClient,
  workloadId: string,
  rows: LogRow[],
  expectedLast: number | null,
): Promise<number | null> {
  await client.query('begin');
  const reserved = await client.query(
    `with reserved as (${RESERVE_LOG_SEQ})
     select reserved.base, reserved.last, ${notifyLogBatch()} from reserved`,
    [workloadId, rows.length, expectedLast],
  );
  const row = reserved.rows[0] as { base: number; last: number } | undefined;
  if (row === undefined) {
    await client.query('rollback');
    return null;
  }
  await copyRows(client, workloadId, row.base, rows);
  await client.query('commit');
  return row.last;
}

/** Rows per CopyData chunk: big enough to amortise a write, small enough to stream. */
const ROWS_PER_CHUNK = 1000;

async function copyRows(client: pg.PoolClient, workloadId: string, base: number, rows: LogRow[]) {
  const stream = client.query(
    copyFrom(`copy "workload_log" ("workload_id", "seq", "ts", "stage", "level", "message") from stdin`),
  );
  const done = new Promise<void>((resolve, reject) => {
    stream.once('finish', resolve);
    // `on`, not `once`: a connection killed mid-COPY can make the stream fail twice (a write
    // error, then the server's FATAL), and a second 'error' without a listener is uncaught.
    stream.on('error', reject);
  });
  const iso = isoCache();
  let seq = base;
  for (let start = 0; start < rows.length; start += ROWS_PER_CHUNK) {
    let chunk = '';
    const end = Math.min(start + ROWS_PER_CHUNK, rows.length);
    for (let i = start; i < end; i++) {
      const r = rows[i] as LogRow;
      chunk += `${workloadId}\t${++seq}\t${iso(r.ts)}\t${r.stage}\t${r.level}\t${copyTextEscape(r.message)}\n`;
    }
    if (!stream.write(chunk)) await Promise.race([once(stream, 'drain'), done]);
  }
  stream.end();
  await done;
}

function once(stream: NodeJS.EventEmitter, event: string): Promise<void> {
  return new Promise((resolve) => stream.once(event, () => resolve()));
}

/** ISO strings of ms timestamps; the entries of one chunk mostly share a millisecond, so one Date each. */
function isoCache(): (ms: number) => string {
  let lastMs = Number.NaN;
  let last = '';
  return (ms) => {
    if (ms !== lastMs) {
      lastMs = ms;
      last = new Date(ms).toISOString();
    }
    return last;
  };
}

/**
 * COPY's text format gives four characters a meaning: backslash (escape),
 * tab (column separator), newline and carriage return (row separator). They
 * are written as `\\`, `\t`, `\n`, `\r`; every other character, including
 * `\.` once its backslash is doubled, is taken literally. NUL never gets here
 * (utf8-lines replaces it: a text column cannot hold it).
 */
const COPY_SPECIAL = /[\\\t\n\r]/g;
const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

export function copyTextEscape(message: string): string {
  return message.replace(COPY_SPECIAL, (c) => COPY_ESCAPES[c] as string);
}
