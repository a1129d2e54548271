import type { Client } from 'graphql-ws';
import { type LogEntryFieldsFragment, WorkloadLogBatchesDocument } from '../../../sdk/generated/graphql.ts';
import { type ApiError, openSocket, type Subscription, subscribe } from './api.ts';

export type LogEntry = LogEntryFieldsFragment;
export type FollowStatus = 'connecting' | 'live' | 'reconnecting' | 'complete' | 'error';

/** Largest batch asked for; the server sends what it has, up to this. */
const MAX_ENTRIES = 2000;
const RETRY_MIN_MS = 250;
const RETRY_MAX_MS = 5000;

/**
 * Follows one workload's log with `workloadLogBatches`: replay, then live,
 * until the server completes after the terminal entry. When the connection
 * drops it subscribes again with `after` = the last seq it holds, so the log
 * resumes without gaps; entries at or below that seq are never appended twice.
 *
 * Listeners are told at most once per animation frame, so a service printing
 * thousands of lines a second costs one render per frame.
 */
export class LogFollower {
  readonly entries: LogEntry[] = [];
  status: FollowStatus = 'connecting';
  error: string | undefined;
  reconnects = 0;
  private lastSeq = 0;
  private client: Client | undefined;
  private subscription: Subscription | undefined;
  private retryMs = RETRY_MIN_MS;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private frame: number | undefined;
  private stopped = false;

  constructor(
    private readonly workloadId: string,
    private readonly onChange: () => void,
  ) {}

  start(): void {
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    if (this.frame !== undefined) cancelAnimationFrame(this.frame);
    this.frame = undefined;
    this.close();
  }

  private connect(): void {
    if (this.stopped) return;
    const client = openSocket({ retry: false });
    // Callbacks of a subscription this follower has since closed (unsubscribing
    // completes it) are not news.
    const current = () => this.client === client;
    this.client = client;
    this.subscription = subscribe(
      client,
      WorkloadLogBatchesDocument,
      { workloadId: this.workloadId, after: this.lastSeq, maxEntries: MAX_ENTRIES },
      {
        next: (data) => {
          if (current()) this.append(data.workloadLogBatches);
        },
        complete: () => {
          if (!current()) return;
          this.setStatus('complete');
          this.close();
        },
        error: (error) => {
          if (current()) this.failed(error);
        },
      },
    );
  }

  private append(batch: readonly LogEntry[]): void {
    for (const entry of batch) {
      if (entry.seq <= this.lastSeq) continue;
      this.entries.push(entry);
      this.lastSeq = entry.seq;
    }
    this.retryMs = RETRY_MIN_MS;
    this.setStatus('live');
  }

  private failed(error: ApiError): void {
    this.close();
    if (this.stopped) return;
    // A dropped connection or a stream closed for falling behind resumes from
    // the last seq held; anything else (unknown workload, …) is final.
    if (error.code === 'NETWORK' || error.code === 'LOG_STREAM_OVERFLOW') {
      this.reconnects++;
      this.setStatus('reconnecting');
      this.retryTimer = setTimeout(() => this.connect(), this.retryMs);
      this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
    } else {
      this.error = error.message;
      this.setStatus('error');
    }
  }

  private close(): void {
    const { client, subscription } = this;
    this.client = undefined;
    this.subscription = undefined;
    subscription?.unsubscribe();
    void client?.dispose();
  }

  private setStatus(status: FollowStatus): void {
    this.status = status;
    this.schedule();
  }

  private schedule(): void {
    if (this.frame !== undefined || this.stopped) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = undefined;
      this.onChange();
    });
  }
}

export function formatEntry(entry: LogEntry): string {
  return `${entry.timestamp} ${entry.stage} ${entry.level} ${entry.message}`;
}
