import type pg from 'pg';
import { PageRows, readLogPage } from '../../core/sql/read-log-page.ts';
import type { LogEntryRow } from '../../core/sql/read-logs.ts';
import { readWorkloadState } from '../../core/sql/read-workload-state.ts';
import type { WorkloadRow } from '../../core/sql/workload-row.ts';
import { isTerminal } from '../../core/stages.ts';
import { type LogSubscriber, messageBytes, type UpdateSubscriber } from './subscribers.ts';
import { XactSnapshot } from './xact-snapshot.ts';

const EMPTY_READ_RETRY_MS = 50;
const EMPTY_READS_BEFORE_GIVING_UP = 40;
/** Notified batches a feed keeps until it can hand them on; past these it reads the table. */
const MAX_NOTIFIED_BATCHES = 64;
/**
 * With this many live subscribers or more, a feed gathers the batches of
 * FANOUT_WINDOW_MS and hands them to all of them at once, as one array:
 * waking a thousand followers for each line of a service printing every
 * 5 ms cost a step and a socket write per follower and line. A few
 * followers get every batch at once.
 */
const GROUPED_FANOUT_SUBSCRIBERS = 32;
const FANOUT_WINDOW_MS = 15;

export interface FeedOptions {
  /** Rows per log read. */
  pageSize: number;
  /** Message bytes per log read (a read ends with the row that reaches them; default: no bound). */
  pageBytes?: number;
  /** Entries a live subscriber may have waiting before it is detached. */
  subscriberBuffer: number;
  /** Message bytes a live subscriber may have waiting before it is detached (default: no bound). */
  subscriberBufferBytes?: number;
  /** A detached subscriber that has not asked for an entry for this long is closed. */
  stallMs: number;
  onError(error: unknown): void;
}

/**
 * Everything the API knows live about one workload with subscribers. Each
 * notification raises a "want" mark (and queues its batch, when it carried
 * one); one loop per feed hands queued batches on and turns the remaining
 * marks into reads, so however many subscribers and notifications there
 * are, a workload costs one read at a time and each read is shared by all
 * of them.
 */
export class WorkloadFeed {
  readonly logSubscribers = new Set<LogSubscriber>();
  readonly updateSubscribers = new Set<UpdateSubscriber>();
  /** The last seq read and handed to live subscribers (undefined until the first row read). */
  logSeq: number | undefined;
  /** The final seq, known once a terminal row was read. */
  terminalSeq: number | undefined;
  /** The workload was deleted. */
  gone = false;
  private wantRow = false;
  /** The next row read also goes to workloadUpdated subscribers (notifications may have been missed). */
  private wantResync = false;
  /** The highest seq known to be committed (from a NOTIFY or a row): read until the feed has it. */
  private wantLogs = 0;
  /** Read until a short page: how far the log goes is not known (after a reconnect, a quiet spell). */
  private wantToEnd = false;
  private emptyReads = 0;
  /** Batches that came with their notification, in commit order, not yet handed on. */
  private notified: LogEntryRow[][] = [];
  private busy = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private fanoutTimer: NodeJS.Timeout | undefined;
  /** Entries gathered for many subscribers, handed over when fanoutTimer fires (see deliver). */
  private grouped: LogEntryRow[] | undefined;
  private lastReadAt = Date.now();
  private readonly pageRows: PageRows;

  constructor(
    private readonly pool: pg.Pool,
    readonly workloadId: string,
    private readonly options: FeedOptions,
  ) {
    this.pageRows = new PageRows(options.pageSize);
  }

  get idle(): boolean {
    return this.logSubscribers.size === 0 && this.updateSubscribers.size === 0;
  }

  /**
   * Reads the row once for everyone: for the log end (a log subscriber
   * joined), or with `resync` also for workloadUpdated subscribers, when a
   * change may have been missed (a reconnect, a row too big for its NOTIFY).
   */
  requestRow(resync = false): void {
    this.wantRow = true;
    if (resync) this.wantResync = true;
    this.kick();
  }

  /** A change of the row as committed (from its NOTIFY payload), in commit order. */
  rowChanged(row: WorkloadRow, xid: string): void {
    this.lastReadAt = Date.now();
    this.noteRow(row);
    for (const sub of this.updateSubscribers) {
      sub.offerChange(row, xid);
      sub.notify();
    }
    for (const sub of this.logSubscribers) sub.notify();
    this.kick();
  }

  /**
   * A batch's notification: entries up to `lastSeq` were committed, and
   * `entries` are the batch when the notification carried it. Those that
   * follow on from what the feed has are handed on without a read.
   */
  logsCommitted(lastSeq: number, entries: LogEntryRow[] | undefined): void {
    if (entries && entries.length > 0 && this.logSubscribers.size > 0) {
      if (this.notified.length < MAX_NOTIFIED_BATCHES) this.notified.push(entries);
    }
    this.requestLogs(lastSeq);
  }

  /** Entries up to `lastSeq` were committed (Infinity: read until the end, however far it is). */
  requestLogs(lastSeq: number): void {
    if (lastSeq === Number.POSITIVE_INFINITY) this.wantToEnd = true;
    else if (lastSeq > this.wantLogs) this.wantLogs = lastSeq;
    this.kick();
  }

  /** Re-reads the row and the log end when nothing was read for `quietMs`. */
  refreshIfQuiet(quietMs: number): void {
    if (this.busy || Date.now() - this.lastReadAt < quietMs) return;
    this.wantRow = true;
    this.wantResync = true;
    this.requestLogs(Number.POSITIVE_INFINITY);
  }

  close(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    if (this.fanoutTimer) clearTimeout(this.fanoutTimer);
    this.fanoutTimer = undefined;
    this.grouped = undefined;
  }

  private kick(): void {
    if (this.busy || this.retryTimer) return;
    this.busy = true;
    void this.run();
  }

  private async run(): Promise<void> {
    try {
      // A pending retry (see waitForCommittedRows) ends this round; the timer starts the next.
      while (!this.idle && !this.retryTimer) {
        if (this.wantRow) await this.readRow();
        else if (this.takeNotified()) continue;
        else if (this.logSeq !== undefined && (this.wantToEnd || this.wantLogs > this.logSeq))
          await this.readLogs();
        else break;
      }
    } catch (error) {
      // The marks are still set: read again shortly (the database may be restarting).
      this.options.onError(error);
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        this.kick();
      }, 500);
    } finally {
      this.busy = false;
    }
  }

  private async readRow(): Promise<void> {
    const resync = this.wantResync;
    this.wantRow = false;
    this.wantResync = false;
    this.lastReadAt = Date.now();
    const state = await readWorkloadState(this.pool, this.workloadId);
    if (!state) {
      this.gone = true;
      this.wakeAll();
      return;
    }
    const { row } = state;
    this.logSeq ??= row.logSeq;
    this.noteRow(row);
    if (resync) {
      const snapshot = new XactSnapshot(state.snapshot);
      for (const sub of this.updateSubscribers) sub.offerRead(row, snapshot);
    }
    this.wakeAll();
  }

  /** What a row says about the log: entries whose notification was missed, the final seq. */
  private noteRow(row: WorkloadRow): void {
    if (this.logSeq !== undefined && row.logSeq > this.logSeq) this.requestLogsQuietly(row.logSeq);
    // The runner stores every entry before the terminal stage: its log_seq is final.
    if (isTerminal(row.stage)) {
      this.terminalSeq = row.logSeq;
      this.requestLogsQuietly(row.logSeq);
    }
  }

  private requestLogsQuietly(lastSeq: number): void {
    if (lastSeq > this.wantLogs) this.wantLogs = lastSeq;
  }

  private async readLogs(): Promise<void> {
    const after = this.logSeq ?? 0;
    // Taken before the read: a request to read to the end made while it runs asks for another read.
    const toEnd = this.wantToEnd;
    this.wantToEnd = false;
    this.lastReadAt = Date.now();
    const page = await readLogPage(this.pool, this.workloadId, after, {
      rows: this.pageRows.next,
      bytes: this.options.pageBytes ?? Number.MAX_SAFE_INTEGER,
    });
    this.pageRows.update(page);
    const { entries, full } = page;
    const last = entries.at(-1);
    if (last) this.logSeq = last.seq;
    // A full page may not be the end. A known committed seq (wantLogs) is never dropped: a NOTIFY that
    // arrived during this read is for rows committed after its snapshot, and the loop reads again.
    if (toEnd && full) this.wantToEnd = true;
    if (entries.length > 0) this.emptyReads = 0;
    else if (this.wantLogs > after) this.waitForCommittedRows();
    this.deliver(entries);
  }

  /**
   * Hands on the notified batches that continue the log where the feed is
   * (true if any did). One that does not (a batch too big for its
   * notification came between) leaves the rest to a read of the table.
   */
  private takeNotified(): boolean {
    let delivered = false;
    while (this.logSeq !== undefined) {
      const entries = this.notified.shift();
      if (!entries) break;
      const first = (entries[0] as LogEntryRow).seq;
      const last = (entries[entries.length - 1] as LogEntryRow).seq;
      if (last <= this.logSeq) continue;
      if (first > this.logSeq + 1) {
        this.notified = [];
        break;
      }
      const fresh = first === this.logSeq + 1 ? entries : entries.slice(this.logSeq + 1 - first);
      this.logSeq = last;
      this.lastReadAt = Date.now();
      this.deliver(fresh);
      delivered = true;
    }
    return delivered;
  }

  /**
   * New entries (possibly none) for the live subscribers. With many of them
   * (or while a group is pending, to keep seq order), the entries of
   * FANOUT_WINDOW_MS are gathered into one array, handed to everyone when
   * the window ends: subscribers in step still share one array, hence one
   * execution and one frame.
   */
  private deliver(entries: readonly LogEntryRow[]): void {
    let live = 0;
    for (const sub of this.logSubscribers) if (sub.live && !sub.overflowed) live++;
    if (this.grouped === undefined && live < GROUPED_FANOUT_SUBSCRIBERS) {
      this.offer(entries);
      return;
    }
    this.grouped ??= [];
    for (const entry of entries) this.grouped.push(entry);
    this.fanoutTimer ??= setTimeout(() => {
      this.fanoutTimer = undefined;
      const group = this.grouped ?? [];
      this.grouped = undefined;
      this.offer(group);
    }, FANOUT_WINDOW_MS);
  }

  /** Offers `entries` to every live subscriber and wakes them all; closes those stalled far behind. */
  private offer(entries: readonly LogEntryRow[]): void {
    const bytes = messageBytes(entries);
    const now = Date.now();
    const { subscriberBuffer, subscriberBufferBytes = Number.POSITIVE_INFINITY, stallMs } = this.options;
    for (const sub of this.logSubscribers) {
      if (sub.overflowed) continue;
      if (sub.live && entries.length > 0) {
        if (
          sub.buffered + entries.length > subscriberBuffer ||
          (sub.buffered > 0 && sub.bufferedBytes + bytes > subscriberBufferBytes)
        )
          sub.detach();
        else sub.offer(entries, bytes);
      }
      if (
        !sub.live &&
        !sub.waiting &&
        now - sub.lastPullAt > stallMs &&
        (this.logSeq ?? 0) - sub.cursor > subscriberBuffer
      ) {
        sub.overflowed = true;
      }
      sub.notify();
    }
  }

  /**
   * A known seq whose rows a read did not return: they are committed (the
   * NOTIFY comes after the commit), so read again shortly rather than in a
   * tight loop; should they never appear, stop asking after a while.
   */
  private waitForCommittedRows(): void {
    this.emptyReads++;
    if (this.emptyReads > EMPTY_READS_BEFORE_GIVING_UP) {
      this.wantLogs = this.logSeq ?? 0;
      this.emptyReads = 0;
      return;
    }
    this.retryTimer ??= setTimeout(() => {
      this.retryTimer = undefined;
      this.kick();
    }, EMPTY_READ_RETRY_MS);
  }

  private wakeAll(): void {
    for (const sub of this.updateSubscribers) sub.notify();
    for (const sub of this.logSubscribers) sub.notify();
  }
}
