import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import { copyLogBatch, type LogRow } from '../../core/sql/copy-logs.ts';
import { insertLogBatch, logSeqOf, WorkloadGoneError } from '../../core/sql/insert-logs.ts';

export interface BatchStoreOptions {
  /** Batches of more rows than this go by COPY; smaller ones by one INSERT, one round trip. */
  copyAbove: number;
  /** First wait after a failed attempt; it doubles up to `maxRetryDelayMs`. */
  retryDelayMs: number;
  maxRetryDelayMs: number;
  /** Called after each failed attempt (the batch is tried again). */
  onRetry?: (error: unknown) => void;
}

/**
 * Stores batches of one workload's log, in order, each exactly once,
 * whatever the database does meanwhile. `store(batch)` resolves once the
 * batch is committed; it tries again after any error (a lost connection,
 * a server restarting, a refused write: a constraint, a revoked privilege,
 * a cancelled statement…), waiting longer each time up to a few seconds,
 * for as long as it takes. It rejects only with WorkloadGoneError: a
 * workload that no longer exists has no log to write to.
 *
 * After a lost answer the batch may or may not have committed: writing it
 * only where the log ended before (`expectedLast`) makes the retry safe.
 * If the log then ends exactly one batch further, that was ours; if it
 * ends elsewhere, another writer appended (an API's cancel entry) and ours
 * follows it.
 */
export function createBatchStore(
  pool: pg.Pool,
  workloadId: string,
  options: BatchStoreOptions,
): (batch: LogRow[]) => Promise<void> {
  /** The log's last seq as this writer knows it: the next batch must follow it. */
  let lastSeq: number | null | undefined;

  return async (batch) => {
    let delay = options.retryDelayMs;
    let uncertain = false;
    for (;;) {
      try {
        if (lastSeq === undefined) lastSeq = await logSeqOf(pool, workloadId);
        if (lastSeq === null) throw new WorkloadGoneError(workloadId);
        const last =
          batch.length > options.copyAbove
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
        if (ours) return;
      } catch (error) {
        if (error instanceof WorkloadGoneError) throw error;
        options.onRetry?.(error);
        // Whether the failed attempt committed is known only from the log's end: ask again next time.
        uncertain = true;
        await sleep(delay);
        delay = Math.min(delay * 2, options.maxRetryDelayMs);
      }
    }
  };
}
