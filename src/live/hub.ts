import type { LogEntryRow } from '../../core/sql/read-logs.ts';
import type { WorkloadRow } from '../../core/sql/workload-row.ts';
import type { EventBatch } from './event-batch.ts';

/**
 * Live views of workloads for subscriptions. Both iterators end by
 * themselves once the workload is terminal and everything was delivered, and
 * when `signal` aborts (the client went away).
 */
export interface LiveHub {
  /** The current state first, then every committed change; ends after the terminal state. */
  workloadUpdates(workloadId: string, signal: AbortSignal): AsyncIterable<WorkloadRow>;
  /**
   * Every entry with seq > after, in order without gaps, in batches of what
   * is ready (never empty, at most `maxBatch` entries); ends after the
   * terminal stage's last entry.
   */
  workloadLogs(
    workloadId: string,
    after: number,
    signal: AbortSignal,
    maxBatch?: number,
  ): AsyncIterable<EventBatch<LogEntryRow>>;
  close(): Promise<void>;
}
