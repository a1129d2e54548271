import type { LogLevel, WorkloadStage } from '../stages.ts';
import type { LogEntryRow } from './read-logs.ts';

/**
 * The payload of a log batch's NOTIFY (reserve-log-seq.ts sends it):
 *
 *     <workload id>:<last seq>                 "look": read the table
 *     <workload id>:<last seq>:<rows as JSON>  the batch itself
 *
 * A small batch (a quiet service's line, a few at a time) travels in its
 * own notification, so the API hands it to live subscribers without reading
 * the table: one query less per batch, which at a line every millisecond
 * was most of the API's database time and a third of its latency. The rows
 * are `[ms since the epoch, stage, level, message]`, numbered up to `last`.
 * A batch too big for a payload (PostgreSQL's limit is 8000 bytes) sends
 * only the seq, and is read.
 */
export interface LogNotification {
  workloadId: string;
  last: number;
  /** The batch's entries, ending at `last` (undefined: read them). */
  entries: LogEntryRow[] | undefined;
}

/** Bytes of rows a payload may carry: below PostgreSQL's 8000 with room for the id and seq. */
const MAX_ROWS_BYTES = 7900;

type PayloadRow = [number, WorkloadStage, LogLevel, string];

interface EntryInput {
  ts: Date | number;
  stage: WorkloadStage;
  level: LogLevel;
  message: string;
}

/**
 * The payload's tail for a batch: `:<rows>` when they fit, '' otherwise.
 * Messages are made well-formed as the database stores them (a lone
 * surrogate becomes U+FFFD), so the notified entry equals the stored one.
 */
export function notifiedRows(entries: readonly EntryInput[]): string {
  let chars = 0;
  for (const e of entries) {
    chars += e.message.length;
    // Each UTF-16 unit is a byte of the payload at least: past this, it cannot fit.
    if (chars > MAX_ROWS_BYTES) return '';
  }
  const rows: PayloadRow[] = entries.map((e) => [
    typeof e.ts === 'number' ? e.ts : e.ts.getTime(),
    e.stage,
    e.level,
    e.message.toWellFormed(),
  ]);
  const json = JSON.stringify(rows);
  return Buffer.byteLength(json, 'utf8') <= MAX_ROWS_BYTES ? `:${json}` : '';
}

/** The workload a payload of WORKLOAD_LOGS_CHANNEL is about (read before the rest, which may not be needed). */
export function notifiedWorkload(payload: string): string {
  const idEnd = payload.indexOf(':');
  return idEnd < 0 ? payload : payload.slice(0, idEnd);
}

/** Reads a payload of WORKLOAD_LOGS_CHANNEL; undefined for one it does not understand. */
export function parseLogNotification(payload: string): LogNotification | undefined {
  const idEnd = payload.indexOf(':');
  if (idEnd < 0) return undefined;
  const seqEnd = payload.indexOf(':', idEnd + 1);
  const last = Number(seqEnd < 0 ? payload.slice(idEnd + 1) : payload.slice(idEnd + 1, seqEnd));
  if (!Number.isSafeInteger(last)) return undefined;
  const workloadId = payload.slice(0, idEnd);
  if (seqEnd < 0) return { workloadId, last, entries: undefined };
  return { workloadId, last, entries: entriesOf(payload.slice(seqEnd + 1), last) };
}

/** The rows of a payload, numbered to end at `last` (undefined when they are not rows). */
function entriesOf(json: string, last: number): LogEntryRow[] | undefined {
  let rows: unknown;
  try {
    rows = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (!Array.isArray(rows)) return undefined;
  const first = last - rows.length + 1;
  return (rows as PayloadRow[]).map(([ms, stage, level, message], i) => ({
    seq: first + i,
    timestamp: new Date(ms),
    stage,
    level,
    message,
  }));
}
