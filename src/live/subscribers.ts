import type { LogEntryRow } from '../../core/sql/read-logs.ts';
import type { WorkloadRow } from '../../core/sql/workload-row.ts';
import type { XactSnapshot } from './xact-snapshot.ts';

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
  /** Message characters waiting (about their bytes: the bound needs no more precision). */
  bufferedBytes = 0;

  constructor(after: number) {
    super();
    this.cursor = after;
  }

  get buffered(): number {
    return this.buffer.length - this.head;
  }

  offer(entries: readonly LogEntryRow[], bytes = messageBytes(entries)): void {
    for (const e of entries) this.buffer.push(e);
    this.bufferedBytes += bytes;
  }

  /** Up to `max` waiting entries and about `maxBytes` of messages (one at least), oldest first (empty when none wait). */
  take(max: number, maxBytes = Number.POSITIVE_INFINITY): LogEntryRow[] {
    if (this.head === 0 && this.buffer.length <= max && this.bufferedBytes <= maxBytes) {
      const all = this.buffer;
      this.clear();
      return all;
    }
    let end = this.head;
    let bytes = 0;
    while (end < this.buffer.length && end - this.head < max && (end === this.head || bytes < maxBytes)) {
      bytes += (this.buffer[end] as LogEntryRow).message.length;
      end++;
    }
    const some = this.buffer.slice(this.head, end);
    this.head = end;
    this.bufferedBytes -= bytes;
    if (this.head === this.buffer.length) this.clear();
    return some;
  }

  /** Stops taking entries from the feed; the generator catches up from the table. */
  detach(): void {
    this.live = false;
    this.clear();
  }

  private clear(): void {
    this.buffer = [];
    this.head = 0;
    this.bufferedBytes = 0;
  }
}

interface QueuedRow {
  row: WorkloadRow;
  /** The transaction that committed this state; absent for a state read from the table. */
  xid?: string;
}

/** States a client that stopped reading keeps, newest last (the terminal state is never dropped). */
const MAX_QUEUED_ROWS = 64;

/**
 * One workloadUpdated subscription: its first state is a read of the row
 * (with the read's snapshot), then every committed change from the NOTIFY
 * payloads, in commit order, minus the changes the read already contained.
 */
export class UpdateSubscriber extends Waker {
  private queue: QueuedRow[] = [];
  private snapshot: XactSnapshot | undefined;
  private started = false;
  /** The transaction of the last change handed to the client. */
  private lastXid: string | undefined;

  /** A committed change (the feed calls this in commit order). */
  offerChange(row: WorkloadRow, xid: string): void {
    if (this.snapshot?.sees(xid)) return;
    this.push({ row, xid }, this.queue.length);
  }

  /**
   * The row as read under `snapshot`: the first state of this subscriber, or
   * later a re-read after notifications may have been lost. Changes the read
   * contains are dropped; the read goes before every change it does not.
   */
  offerRead(row: WorkloadRow, snapshot: XactSnapshot): void {
    if (!this.started) {
      this.started = true;
      this.queue = this.queue.filter((q) => q.xid === undefined || !snapshot.sees(q.xid));
      this.push({ row }, 0);
    } else {
      // A change newer than the read was already sent: the read is old news.
      if (this.lastXid !== undefined && !snapshot.sees(this.lastXid)) return;
      const newer = this.queue.findIndex((q) => q.xid !== undefined && !snapshot.sees(q.xid));
      this.push({ row }, newer === -1 ? this.queue.length : newer);
    }
    this.snapshot = snapshot;
  }

  take(): WorkloadRow | undefined {
    const next = this.queue.shift();
    if (next?.xid !== undefined) this.lastXid = next.xid;
    return next?.row;
  }

  private push(item: QueuedRow, at: number): void {
    this.queue.splice(at, 0, item);
    if (this.queue.length > MAX_QUEUED_ROWS) this.queue.splice(0, this.queue.length - MAX_QUEUED_ROWS);
  }
}

/** The size of the entries' messages, counted in characters (about their bytes). */
export function messageBytes(entries: readonly LogEntryRow[]): number {
  let bytes = 0;
  for (const entry of entries) bytes += entry.message.length;
  return bytes;
}
