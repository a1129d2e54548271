import type { Readable } from 'node:stream';
import type pg from 'pg';
import type { LogRow } from '../../core/sql/copy-logs.ts';
import type { LogLevel, WorkloadStage } from '../../core/stages.ts';
import { createBatchStore } from './batch-store.ts';
import { type LineQueue, linesWritable, pipeLines } from './line-input.ts';
import type { LogSink, StageOf } from './types.ts';
import { normalizeMessage } from './utf8-lines.ts';

export interface LogWriterOptions {
  /** This many waiting entries are sent at once, without waiting (default 500). */
  batchSize?: number;
  /** Most rows in one statement when entries pile up behind a batch in flight (default 20 000). */
  maxRows?: number;
  /** Batches of more rows than this go by COPY; smaller ones by one INSERT, one round trip (default 100). */
  copyAbove?: number;
  /** Inputs stop taking output while this many entries wait or are in flight (default 40 000)… */
  highWaterEntries?: number;
  /** …or this many characters of messages (default 8 Mi). */
  highWaterBytes?: number;
  /** `write` (which cannot be slowed down) drops entries beyond this many waiting (default 50 000). */
  maxEntries?: number;
  /** Bytes of output stored per workload; past it one `warn` entry, and later output is only counted (default 256 MiB). */
  maxBytes?: number;
  /** First wait after a failed batch, doubling up to `maxRetryDelayMs` (defaults 50 ms, 2 s). */
  retryDelayMs?: number;
  maxRetryDelayMs?: number;
  /** Called after each failed attempt to store a batch (it is tried again). */
  onRetry?: (error: unknown) => void;
  /** Called once when entries cannot be stored: the workload is gone (flush and close also reject with it). */
  onError?: (error: LogWriteError) => void;
}

/** Entries that could not be stored: the workload no longer exists. */
export class LogWriteError extends Error {
  override name = 'LogWriteError';
  constructor(
    readonly workloadId: string,
    readonly lostEntries: number,
    cause: unknown,
  ) {
    super(`Could not store ${lostEntries} log entries of workload ${workloadId}`, { cause });
  }
}

/** The runner's LogSink, with what it holds in memory (for tests and diagnostics). */
export interface LogWriter extends LogSink {
  /** Entries waiting or in flight. */
  readonly pendingEntries: number;
}

const DEFAULTS = {
  batchSize: 500,
  maxRows: 20_000,
  copyAbove: 100,
  highWaterEntries: 40_000,
  highWaterBytes: 8 * 1024 * 1024,
  maxEntries: 50_000,
  maxBytes: 256 * 1024 * 1024,
  retryDelayMs: 50,
  maxRetryDelayMs: 2_000,
};

const MiB = 1024 * 1024;
/** `256 MiB`, `1.5 MiB`, or `4096 bytes` below one MiB. */
const size = (bytes: number) =>
  bytes < MiB ? `${bytes} bytes` : `${(bytes / MiB).toFixed(bytes % MiB === 0 ? 0 : 1)} MiB`;

/**
 * The runner's LogSink: one per workload. Entries queue in memory and one
 * batch at a time is written with one NOTIFY: a few rows by one INSERT
 * (core/sql/insert-logs.ts, one round trip), more by COPY in a transaction
 * (core/sql/copy-logs.ts, the cheapest per row). While a batch is in flight
 * the next one grows, so the batch size follows the load: a quiet service
 * gets its line stored within a few ms, a flood gets up to `maxRows` rows
 * per transaction (20,000 rows take ~0.2 s, for which the workload's row
 * stays locked: a stage change waits that long at most).
 *
 * Nothing is lost silently, and memory is bounded:
 * - a batch the database does not take (unreachable, restarting, refusing
 *   the write for any reason) is tried again until it is stored
 *   (batch-store.ts); meanwhile the queue fills and the inputs stop reading
 *   (`pipe`, `lines`): the service blocks on its pipe, the container on its
 *   attach stream, until the database takes writes again;
 * - `write` cannot be slowed down, so past `maxEntries` it drops, and one
 *   `warn` entry in the place of the gap says how many, queued as soon as
 *   there is room again;
 * - output past `maxBytes` is counted, not stored: one `warn` entry when
 *   the limit is reached, one with the count when the log is closed;
 * - only when the workload no longer exists are entries lost: flush and
 *   close reject with a LogWriteError that counts them.
 */
export function createLogWriter(
  pool: pg.Pool,
  workloadId: string,
  options: LogWriterOptions = {},
): LogWriter {
  const o = { ...DEFAULTS, ...options };
  const store = createBatchStore(pool, workloadId, o);
  let queue: LogRow[] = [];
  let queuedBytes = 0;
  let inFlight = 0;
  let inFlightBytes = 0;
  /** When nothing is being written: the send of what is queued, once the output already read is in. */
  let pending: NodeJS.Immediate | undefined;
  let draining: Promise<void> | undefined;
  let failure: LogWriteError | undefined;
  let dropped = 0;
  let droppedStage: WorkloadStage = 'running';
  /** UTF-8 bytes of the messages queued so far (what the quota counts). */
  let storedBytes = 0;
  /** Output past the quota: counted, not stored. */
  let over: { lines: number; bytes: number; stage: WorkloadStage } | undefined;
  let closed = false;
  let spaceWaiters: (() => void)[] = [];

  const full = () =>
    !failure &&
    (queue.length + inFlight >= o.highWaterEntries || queuedBytes + inFlightBytes >= o.highWaterBytes);

  const releaseSpace = () => {
    if (full()) return;
    if (dropped > 0) noteDropped();
    const waiters = spaceWaiters;
    spaceWaiters = [];
    for (const wake of waiters) wake();
  };

  const space = () => (full() ? new Promise<void>((resolve) => spaceWaiters.push(resolve)) : undefined);

  const push = (
    ts: number,
    stage: WorkloadStage,
    level: LogLevel,
    message: string,
    bytes = Buffer.byteLength(message, 'utf8'),
  ) => {
    if (failure) {
      failure = new LogWriteError(workloadId, failure.lostEntries + 1, failure.cause);
      return;
    }
    if (dropped > 0) noteDropped();
    queue.push({ ts, stage, level, message });
    queuedBytes += message.length;
    storedBytes += bytes;
    if (draining) return;
    if (queue.length >= o.batchSize) startDrain();
    else pending ??= setImmediate(startDrain);
  };

  /** The one `warn` entry that stands for the lines `write` had to drop. */
  const noteDropped = () => {
    const count = dropped;
    dropped = 0;
    push(
      Date.now(),
      droppedStage,
      'warn',
      `${count} log lines were dropped: the output came faster than the log could be stored`,
    );
  };

  /** One line of output (a command's, a service's, a container's), counted against the quota. */
  const output = (ts: number, stage: WorkloadStage, level: LogLevel, message: string) => {
    const bytes = Buffer.byteLength(message, 'utf8');
    if (over) {
      over.lines++;
      over.bytes += bytes;
      over.stage = stage;
      return;
    }
    if (storedBytes + bytes <= o.maxBytes) {
      push(ts, stage, level, message, bytes);
      return;
    }
    over = { lines: 1, bytes, stage };
    push(
      ts,
      stage,
      'warn',
      `Log limit reached: ${size(o.maxBytes)} stored for this workload (AGENTFORGE_LOG_MAX_BYTES); later output is counted, not stored`,
    );
  };

  const queueInput: LineQueue = { output, space };

  const startDrain = () => {
    if (pending) clearImmediate(pending);
    pending = undefined;
    draining ??= drain().finally(() => {
      draining = undefined;
    });
    return draining;
  };

  const drain = async () => {
    while (queue.length > 0 && !failure) {
      const batch = queue.length <= o.maxRows ? queue : queue.slice(0, o.maxRows);
      queue = batch === queue ? [] : queue.slice(o.maxRows);
      inFlight = batch.length;
      inFlightBytes = 0;
      for (const e of batch) inFlightBytes += e.message.length;
      queuedBytes -= inFlightBytes;
      try {
        await store(batch);
      } catch (error) {
        // Only a workload that no longer exists gets here (batch-store.ts retries everything else).
        failure = new LogWriteError(workloadId, batch.length + queue.length + dropped, error);
        queue = [];
        queuedBytes = 0;
        dropped = 0;
        o.onError?.(failure);
      } finally {
        inFlight = 0;
        inFlightBytes = 0;
        releaseSpace();
      }
    }
  };

  const ensureOpen = () => {
    if (closed) throw new Error('Log writer is closed');
  };

  const sink: LogWriter = {
    get pendingEntries() {
      return queue.length + inFlight;
    },
    write(stage, level, message) {
      ensureOpen();
      if (queue.length + inFlight >= o.maxEntries && !failure) {
        dropped++;
        droppedStage = stage;
        return;
      }
      push(Date.now(), stage, level, normalizeMessage(message));
    },
    pipe(stream: Readable, stage: StageOf, level: LogLevel) {
      ensureOpen();
      return pipeLines(queueInput, stream, stage, level);
    },
    lines(stage: StageOf, level: LogLevel) {
      ensureOpen();
      return linesWritable(queueInput, stage, level);
    },
    async flush() {
      if (dropped > 0 && !failure) noteDropped();
      if (queue.length > 0) startDrain();
      while (draining) await draining;
      if (failure) throw failure;
    },
    async close() {
      if (!closed && over && !failure) {
        push(
          Date.now(),
          over.stage,
          'info',
          `${over.lines} lines (${size(over.bytes)}) of output were not stored: over the log limit of ${size(o.maxBytes)}`,
        );
      }
      closed = true;
      await sink.flush();
    },
  };
  return sink;
}
