import { setTimeout as sleep } from 'node:timers/promises';
import { createSdk, type Sdk, SdkError, type SdkOptions } from './client.ts';
import { type LogEntryFieldsFragment, WorkloadLogBatchesDocument } from './generated/graphql.ts';

/**
 * Follows a workload's log to its end with workloadLogBatches, across
 * dropped connections: each attempt opens its own WebSocket and subscribes
 * with `after` = the last seq received, so a reconnect neither repeats nor
 * skips an entry. (A graphql-ws client left to retry by itself subscribes
 * again with the variables it started with, and replays the log from there.)
 */
export interface FollowLogsOptions {
  workloadId: string;
  /** Entries with seq > after (default: all). */
  after?: number | null | undefined;
  /** Entries per batch, 1–5000 (default: the server's, 1000). */
  maxEntries?: number | undefined;
  /** Each batch in seq order, never empty; the first seq of a batch is the last seq of the one before + 1. */
  onEntries(entries: LogEntryFieldsFragment[]): void;
  /** Stops following (the promise then resolves with what was received). */
  signal?: AbortSignal | undefined;
  /** Consecutive attempts that receive nothing before giving up (default 5). */
  retries?: number | undefined;
  /** Called before each new attempt, with the seq it resumes after. */
  onRetry?(retry: { attempt: number; delayMs: number; after: number; error: SdkError }): void;
}

export interface FollowLogsResult {
  /** The last seq received (the `after` given when nothing was). */
  lastSeq: number;
  /** True when the log ended (the workload is terminal and every entry was received), false when aborted. */
  complete: boolean;
}

/** A server whose stream skipped or repeated entries: resuming cannot fix that, so it is not retried. */
export const STREAM_OUT_OF_ORDER = 'STREAM_OUT_OF_ORDER';
/** Errors worth another attempt from the last seq: a dropped connection, a subscriber closed for being slow. */
const RESUMABLE = new Set(['NETWORK', 'LOG_STREAM_OVERFLOW']);

const retryDelay = (attempt: number) => Math.min(250 * 2 ** (attempt - 1), 3000);

/**
 * `connect`: the API's SdkOptions (a new client per attempt), or a function
 * returning a fresh Sdk per attempt (it is closed after the attempt).
 */
export async function followLogs(
  connect: SdkOptions | (() => Sdk),
  options: FollowLogsOptions,
): Promise<FollowLogsResult> {
  const open = typeof connect === 'function' ? connect : () => createSdk({ ...connect, retryAttempts: 0 });
  const retries = options.retries ?? 5;
  let lastSeq = options.after ?? 0;
  let failures = 0;
  while (!options.signal?.aborted) {
    const before = lastSeq;
    const sdk = open();
    // This attempt's subscription ends when the caller aborts, or when the stream is found out of order.
    const stop = new AbortController();
    const abort = () => stop.abort();
    options.signal?.addEventListener('abort', abort, { once: true });
    let broken: SdkError | undefined;
    try {
      await sdk.subscribe(
        WorkloadLogBatchesDocument,
        { workloadId: options.workloadId, after: lastSeq, maxEntries: options.maxEntries ?? null },
        ({ workloadLogBatches: entries }) => {
          const first = entries[0]?.seq;
          const last = entries.at(-1)?.seq;
          if (broken || first === undefined) return;
          if (first !== lastSeq + 1 || last !== lastSeq + entries.length) {
            broken = new SdkError(
              `workloadLogBatches sent seq ${first}–${last} after seq ${lastSeq}`,
              STREAM_OUT_OF_ORDER,
            );
            stop.abort();
            return;
          }
          lastSeq += entries.length;
          options.onEntries(entries);
        },
        stop.signal,
      );
      if (broken) throw broken;
      return { lastSeq, complete: !options.signal?.aborted };
    } catch (error) {
      if (!(error instanceof SdkError) || !RESUMABLE.has(error.code)) throw error;
      // An attempt that received something had a working connection: count again from there.
      failures = lastSeq > before ? 1 : failures + 1;
      if (failures > retries) {
        throw new SdkError(
          `Lost the log stream of workload ${options.workloadId} after seq ${lastSeq} (${retries} retries): ${error.message}`,
          error.code,
        );
      }
      const delayMs = retryDelay(failures);
      options.onRetry?.({ attempt: failures, delayMs, after: lastSeq, error });
      await sleep(delayMs, undefined, { signal: options.signal }).catch(() => undefined);
    } finally {
      options.signal?.removeEventListener('abort', abort);
      await sdk.close().catch(() => undefined);
    }
  }
  return { lastSeq, complete: false };
}
