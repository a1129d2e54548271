import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import { copyLogBatch, type LogRow } from '../../core/sql/copy-logs.ts';
import { insertLogBatch, logSeqOf, WorkloadGoneError } from '../../core/sql/insert-logs.ts';
import type { LogLevel, WorkloadStage } from '../../core/stages.ts';
import { isTransientDatabaseError } from './transient.ts';
import type { LogSink } from './types.ts';
import { LineSplitter, normalizeMessage } from './utf8-lines.ts';

export interface LogWriterOptions {
  /** When nothing is being written, wait this long for more entries before sending (default 2 ms). */
  flushAfterMs?: number;
  /** This many waiting entries are sent at once, without waiting (default 500). */
  batchSize?: number;
  /** Most rows in one statement when entries pile up behind a batch in flight (default 20 000). */
  maxRows?: number;
  /** Batches of more rows than this go by COPY; smaller ones by one INSERT, one round trip (default 100). */
  copyAbove?: number;
  /** `pipe` stops reading its stream while this many entries wait or are in flight (default 40 000)… */
  highWaterEntries?: number;
  /** …or this many bytes of messages (default 8 MiB). */
  highWaterBytes?: number;
  /** `write` (which cannot be slowed down) drops entries beyond this many waiting (default 50 000). */
  maxEntries?: number;
  /** A transient database error is retried (with backoff) for this long, then surfaced (default 30 s). */
  retryForMs?: number;
  /** Called once when a batch cannot be written (flush and close also reject with it). */
  onError?: (error: LogWriteError) => void;
}

/** Entries that could not be stored: the database refused them or stayed unreachable. */
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

const DEFAULTS = {
  flushAfterMs: 2,
  batchSize: 500,
  maxRows: 20_000,
  copyAbove: 100,
  highWaterEntries: 40_000,
  highWaterBytes: 8 * 1024 * 1024,
  maxEntries: 50_000,
  retryForMs: 30_000,
};

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
 * Memory is bounded: `pipe` stops reading its stream (the service blocks on
 * its pipe) while the queue is over the high-water mark; `write` cannot be
 * slowed down, so past `maxEntries` it drops and later writes one `warn`
 * entry with the count.
 */
export function createLogWriter(pool: pg.Pool, workloadId: string, options: LogWriterOptions = {}): LogSink {
  const o = { ...DEFAULTS, ...options };
  let queue: LogRow[] = [];
  let queuedBytes = 0;
  let inFlight = 0;
  let inFlightBytes = 0;
  /** The log's last seq as this writer knows it: the next batch must follow it. */
  let lastSeq: number | null | undefined;
  let timer: NodeJS.Timeout | undefined;
  let draining: Promise<void> | undefined;
  let failure: LogWriteError | undefined;
  let dropped = 0;
  let droppedStage: WorkloadStage = 'running';
  let closed = false;
  let spaceWaiters: (() => void)[] = [];

  const full = () =>
    queue.length + inFlight >= o.highWaterEntries || queuedBytes + inFlightBytes >= o.highWaterBytes;

  const releaseSpace = () => {
    if (full() && !failure) return;
    const waiters = spaceWaiters;
    spaceWaiters = [];
    for (const wake of waiters) wake();
  };

  const space = () =>
    full() && !failure ? new Promise<void>((resolve) => spaceWaiters.push(resolve)) : undefined;

  const push = (ts: number, stage: WorkloadStage, level: LogLevel, message: string) => {
    if (failure) {
      failure = new LogWriteError(workloadId, failure.lostEntries + 1, failure.cause);
      return;
    }
    if (dropped > 0) noteDropped();
    queue.push({ ts, stage, level, message });
    queuedBytes += message.length;
    if (draining) return;
    if (queue.length >= o.batchSize) startDrain();
    else timer ??= setTimeout(startDrain, o.flushAfterMs);
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

  const startDrain = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
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
        await writeBatch(batch);
      } catch (error) {
        failure = new LogWriteError(workloadId, batch.length + queue.length, error);
        queue = [];
        queuedBytes = 0;
        o.onError?.(failure);
      } finally {
        inFlight = 0;
        inFlightBytes = 0;
        releaseSpace();
      }
    }
  };

  /**
   * Writes one batch, retrying transient errors. After a lost answer the
   * batch may or may not have committed: writing it only where the log ended
   * before (`expectedLast`) makes the retry safe — if the log already ends
   * exactly one batch further, that was ours.
   */
  const writeBatch = async (batch: LogRow[]) => {
    const started = Date.now();
    let delay = 50;
    let uncertain = false;
    for (;;) {
      try {
        if (lastSeq === undefined) lastSeq = await logSeqOf(pool, workloadId);
        if (lastSeq === null) throw new WorkloadGoneError(workloadId);
        const last =
          batch.length > o.copyAbove
            ? await copyLogBatch(pool, workloadId, batch, lastSeq)
            : await insertLogBatch(pool, workloadId, batch, lastSeq);
        if (last !== null) {
          lastSeq = last;
          return;
        }
        const current = await logSeqOf(pool, workloadId);
        if (current === null) throw new WorkloadGoneError(workloadId);
        const ours = uncertain && current === lastSeq + batch.length;
        lastSeq = current;
        // Another writer appended to this log: follow it, unless that was our own batch.
        if (ours) return;
      } catch (error) {
        if (!isTransientDatabaseError(error) || Date.now() - started >= o.retryForMs) throw error;
        uncertain = true;
        await sleep(delay);
        delay = Math.min(delay * 2, 2000);
      }
    }
  };

  const sink: LogSink = {
    write(stage, level, message) {
      if (closed) throw new Error('Log writer is closed');
      if (queue.length + inFlight >= o.maxEntries) {
        dropped++;
        droppedStage = stage;
        return;
      }
      push(Date.now(), stage, level, normalizeMessage(message));
    },
    async pipe(stream: Readable, stage, level) {
      if (closed) throw new Error('Log writer is closed');
      const splitter = new LineSplitter();
      // Pulling chunk by chunk: while we wait for space the stream is not
      // read, its buffer fills and the writing process blocks on its pipe.
      for await (const chunk of stream) {
        const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : (chunk as Buffer);
        // The lines of one chunk arrived together: one timestamp for all of them.
        const ts = Date.now();
        for (const line of splitter.push(bytes)) push(ts, stage, level, line);
        const wait = space();
        if (wait) await wait;
      }
      const ts = Date.now();
      for (const line of splitter.end()) push(ts, stage, level, line);
    },
    async flush() {
      if (dropped > 0 && !failure) noteDropped();
      if (queue.length > 0) startDrain();
      while (draining) await draining;
      if (failure) throw failure;
    },
    async close() {
      closed = true;
      await sink.flush();
    },
  };
  return sink;
}
