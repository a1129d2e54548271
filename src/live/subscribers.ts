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
  /**
   * The feed's reads as it offered them (the same arrays for every
   * subscriber), and how far into the first one this subscriber has taken.
   */
  private chunks: (readonly LogEntryRow[])[] = [];
  private head = 0;
  private count = 0;
  /** Message characters waiting (about their bytes: the bound needs no more precision). */
  bufferedBytes = 0;

  constructor(after: number) {
    super();
    this.cursor = after;
  }

  get buffered(): number {
    return this.count;
  }

  offer(entries: readonly LogEntryRow[], bytes = messageBytes(entries)): void {
    if (entries.length === 0) return;
    this.chunks.push(entries);
    this.count += entries.length;
    this.bufferedBytes += bytes;
  }

  /**
   * Up to `max` waiting entries and about `maxBytes` of messages (one at
   * least), oldest first (empty when none wait). Subscribers in step, with
   * one read of the feed waiting, get the very same array (the whole read,
   * or the same slice of it, see sliceOf), so what is made of it downstream
   * (an execution, a frame) is made once for all of them; one that is
   * several reads behind gets them merged.
   */
  take(max: number, maxBytes = Number.POSITIVE_INFINITY): readonly LogEntryRow[] {
    const chunk = this.chunks[0];
    if (!chunk) return [];
    let end = this.head;
    let bytes = 0;
    while (end < chunk.length && end - this.head < max && (end === this.head || bytes < maxBytes)) {
      bytes += (chunk[end] as LogEntryRow).message.length;
      end++;
    }
    if (end === chunk.length && this.chunks.length > 1 && end - this.head < max && bytes < maxBytes)
      return this.merge(max, maxBytes);
    const some = this.head === 0 && end === chunk.length ? chunk : sliceOf(chunk, this.head, end);
    this.count -= some.length;
    this.bufferedBytes -= bytes;
    if (end === chunk.length) {
      this.chunks.shift();
      this.head = 0;
    } else this.head = end;
    return some;
  }

  /** A subscriber behind by several reads: up to `max` of their entries (and about `maxBytes`) in one new array. */
  private merge(max: number, maxBytes: number): LogEntryRow[] {
    const some: LogEntryRow[] = [];
    let bytes = 0;
    while (some.length < max && (some.length === 0 || bytes < maxBytes)) {
      const chunk = this.chunks[0];
      if (!chunk) break;
      let i = this.head;
      while (i < chunk.length && some.length < max && (some.length === 0 || bytes < maxBytes)) {
        const entry = chunk[i] as LogEntryRow;
        bytes += entry.message.length;
        some.push(entry);
        i++;
      }
      if (i === chunk.length) {
        this.chunks.shift();
        this.head = 0;
      } else this.head = i;
    }
    this.count -= some.length;
    this.bufferedBytes -= bytes;
    return some;
  }

  /** Stops taking entries from the feed; the generator catches up from the table. */
  detach(): void {
    this.live = false;
    this.chunks = [];
    this.head = 0;
    this.count = 0;
    this.bufferedBytes = 0;
  }
}

const slices = new WeakMap<readonly LogEntryRow[], Map<number, readonly LogEntryRow[]>>();

/** `chunk.slice(start, end)`, the same array for every caller asking for the same part of the same chunk. */
function sliceOf(chunk: readonly LogEntryRow[], start: number, end: number): readonly LogEntryRow[] {
  let byRange = slices.get(chunk);
  if (!byRange) {
    byRange = new Map();
    slices.set(chunk, byRange);
  }
  const key = start * 0x10000 + (end - start);
  let slice = byRange.get(key);
  if (!slice) {
    slice = chunk.slice(start, end);
    byRange.set(key, slice);
  }
  return slice;
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
