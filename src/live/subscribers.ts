import type { LogEntryRow } from '../sql/read-logs.ts';
import type { WorkloadRow } from '../sql/workload-row.ts';

/** Something a generator parks on until the feed has news for it (or its signal aborts). */
class Waker {
  private wake: (() => void) | undefined;
  /** Parked in wait(): caught up, not stalled. */
  get waiting(): boolean {
    return this.wake !== undefined;
  }
  notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
  wait(): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
    });
  }
}

/**
 * One workloadLogs subscription's place in the stream. While `live`, the
 * feed pushes entries into its bounded buffer; otherwise (joining, or after
 * falling behind) it reads the table itself until it reaches the feed.
 */
export class LogSubscriber extends Waker {
  /** The last seq handed to the client. */
  cursor: number;
  live = false;
  overflowed = false;
  /** When the client last asked for the next entry (a stalled socket stops asking). */
  lastPullAt = Date.now();
  private buffer: LogEntryRow[] = [];
  private head = 0;

  constructor(after: number) {
    super();
    this.cursor = after;
  }

  get buffered(): number {
    return this.buffer.length - this.head;
  }

  offer(entries: readonly LogEntryRow[]): void {
    for (const e of entries) this.buffer.push(e);
  }

  take(): LogEntryRow | undefined {
    if (this.head >= this.buffer.length) return undefined;
    const entry = this.buffer[this.head++];
    if (this.head === this.buffer.length) this.clear();
    return entry;
  }

  /** Stops taking entries from the feed; the generator catches up from the table. */
  detach(): void {
    this.live = false;
    this.clear();
  }

  private clear(): void {
    this.buffer = [];
    this.head = 0;
  }
}

/** One workloadUpdated subscription: the rows read for it, in read order. */
export class UpdateSubscriber extends Waker {
  private rows: WorkloadRow[] = [];
  offer(row: WorkloadRow): void {
    // A client that stopped reading keeps the 64 newest states: memory stays
    // bounded and the terminal state, always the last, is never dropped.
    this.rows.push(row);
    if (this.rows.length > 64) this.rows.splice(0, this.rows.length - 64);
  }
  take(): WorkloadRow | undefined {
    return this.rows.shift();
  }
}
