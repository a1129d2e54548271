import { setTimeout as sleep } from 'node:timers/promises';
import {
  type LogEntryFieldsFragment,
  type Sdk,
  SdkError,
  type WorkloadFieldsFragment,
  WorkloadLogBatchesDocument,
  WorkloadUpdatedDocument,
} from '../sdk/index.ts';

/**
 * Follows one workload over graphql-ws: its log (workloadLogBatches: many
 * entries per message) and its state
 * (workloadUpdated), on one connection. When the connection drops it opens a
 * new one and resumes the log with `after: <last seq seen>`, so no entry is
 * shown twice and none is missed; a run of failed attempts longer than
 * `retries` gives up with a NETWORK error.
 */

/** `running`: stop once the workload runs (or ends); `terminal`: stop once it ends. */
export type FollowUntil = 'running' | 'terminal';

export interface FollowOptions {
  /** A fresh client (its own WebSocket) for each attempt. */
  connect: () => Sdk;
  workloadId: string;
  /** Show entries with seq > after (default: all). */
  after?: number | undefined;
  until: FollowUntil;
  onLog: (entry: LogEntryFieldsFragment) => void;
  onUpdate: (workload: WorkloadFieldsFragment) => void;
  onRetry?: (attempt: number, delayMs: number, error: SdkError) => void;
  /** Consecutive failed attempts allowed before giving up (default 5). */
  retries?: number;
}

const TERMINAL = new Set(['stopped', 'failed']);
const isTerminal = (w: WorkloadFieldsFragment) => TERMINAL.has(w.stage);
const retryDelay = (attempt: number) => Math.min(250 * 2 ** (attempt - 1), 3000);

/** Resolves with the workload's last state once the `until` condition holds. */
export async function followWorkload(options: FollowOptions): Promise<WorkloadFieldsFragment> {
  const retries = options.retries ?? 5;
  const state: FollowState = { lastSeq: options.after ?? 0, latest: undefined, waiting: [] };
  let failures = 0;
  for (;;) {
    const progressBefore = state.lastSeq;
    const updatedBefore = state.latest?.updatedAt;
    try {
      return await attempt(options, state);
    } catch (error) {
      if (!(error instanceof SdkError) || error.code !== 'NETWORK') throw error;
      // An attempt that delivered something was a working connection: start counting again.
      if (state.lastSeq !== progressBefore || state.latest?.updatedAt !== updatedBefore) failures = 0;
      failures++;
      if (failures > retries) {
        throw new SdkError(
          `Lost the connection while following workload ${options.workloadId} (${retries} retries): ${error.message}`,
          'NETWORK',
        );
      }
      const delay = retryDelay(failures);
      options.onRetry?.(failures, delay, error);
      await sleep(delay);
    }
  }
}

interface FollowState {
  lastSeq: number;
  /** The last state passed to onUpdate. */
  latest: WorkloadFieldsFragment | undefined;
  /** States received but held back until the log has caught up with them. */
  waiting: WorkloadFieldsFragment[];
}

/** One connection: both subscriptions until done, or until the first of them fails. */
async function attempt(options: FollowOptions, state: FollowState): Promise<WorkloadFieldsFragment> {
  const sdk = options.connect();
  const stop = new AbortController();
  let reachedRunning: () => void = () => {};
  const running = new Promise<'running'>((resolve) => {
    reachedRunning = () => resolve('running');
  });
  /**
   * The two streams are independent, so a stage change can arrive before the
   * entries written ahead of it. A state carries `logCount` (the last seq at
   * that moment): it is passed on only once the log has reached that seq, so
   * stage changes and entries come out in the order they happened.
   */
  const deliver = (all = false) => {
    while (state.waiting.length > 0 && (all || state.waiting[0]!.logCount <= state.lastSeq)) {
      state.latest = state.waiting.shift()!;
      options.onUpdate(state.latest);
    }
    // With `until: running`, stop once it runs and every entry written up to then was shown.
    const w = state.latest;
    if (options.until === 'running' && w?.stage === 'running' && state.lastSeq >= w.logCount)
      reachedRunning();
  };
  try {
    const logs = sdk.subscribe(
      WorkloadLogBatchesDocument,
      { workloadId: options.workloadId, after: state.lastSeq > 0 ? state.lastSeq : null },
      ({ workloadLogBatches: entries }) => {
        for (const entry of entries) {
          if (entry.seq <= state.lastSeq) continue;
          state.lastSeq = entry.seq;
          options.onLog(entry);
          // A stage change between two entries of a batch is shown between them.
          deliver();
        }
      },
      stop.signal,
    );
    const updates = sdk.subscribe(
      WorkloadUpdatedDocument,
      { workloadId: options.workloadId },
      ({ workloadUpdated: workload }) => {
        state.waiting.push(workload);
        deliver();
      },
      stop.signal,
    );
    // Both streams complete by themselves once the workload is terminal and its last entry was sent.
    const outcome = await Promise.race([Promise.all([logs, updates]).then(() => 'ended' as const), running]);
    // The log is complete: whatever state is still held back comes after all of it.
    if (outcome === 'ended') deliver(true);
    const latest = state.latest;
    if (!latest) throw new SdkError(`Workload ${options.workloadId} sent no state`, 'NETWORK');
    if (outcome === 'ended' && !isTerminal(latest)) {
      throw new SdkError('The server ended the stream before the workload did', 'NETWORK');
    }
    return latest;
  } finally {
    stop.abort();
    // Closing a socket that already dropped can fail; the outcome above is what the caller needs.
    await sdk.close().catch(() => undefined);
  }
}
