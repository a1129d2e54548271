import type { Database } from '../../core/db/database.ts';
import { createPgListener } from '../../core/listen/pg-listener.ts';
import { WORKLOAD_LOGS_CHANNEL } from '../../core/sql/insert-logs.ts';
import { notifiedWorkload, parseLogNotification } from '../../core/sql/log-notification.ts';
import { PageRows, readLogPage } from '../../core/sql/read-log-page.ts';
import type { LogEntryRow } from '../../core/sql/read-logs.ts';
import { readWorkloadState } from '../../core/sql/read-workload-state.ts';
import {
  parseWorkloadUpdate,
  WORKLOAD_UPDATED_CHANNEL,
  type WorkloadRow,
} from '../../core/sql/workload-row.ts';
import { isTerminal } from '../../core/stages.ts';
import { CATCH_UP_PAGE_BYTES, CATCH_UP_PAGE_ROWS, LOG_BATCH_BYTES, SUBSCRIBER_STALL_MS } from '../limits.ts';
import { EventBatch } from './event-batch.ts';
import type { LiveHub } from './hub.ts';
import { LogStreamOverflowError } from './log-stream-error.ts';
import { LogSubscriber, UpdateSubscriber } from './subscribers.ts';
import { type FeedOptions, WorkloadFeed } from './workload-feed.ts';
import { XactSnapshot } from './xact-snapshot.ts';

const SWEEP_MS = 5000;
/**
 * Entries handed to a subscriber in one step at most (and at most
 * LOG_BATCH_BYTES of messages): enough to spread the cost of a step over
 * many entries, little enough that a socket that stops reading holds one
 * step's worth.
 */
const MAX_BATCH = 200;
/** Message bytes of one read of a feed (shared by every live subscriber of its workload). */
const FEED_PAGE_BYTES = 1024 * 1024;

export interface NotifyHubOptions {
  /** Rows per log read (default 2000). */
  pageSize?: number;
  /** Entries a subscriber may have waiting in memory (default 20 000). */
  subscriberBuffer?: number;
  /** Message bytes a subscriber may have waiting in memory (default 4 MiB). */
  subscriberBufferBytes?: number;
  /**
   * A subscriber more than subscriberBuffer entries behind that has not read
   * for this long is closed (default 5 s). One whose socket took nothing for
   * SUBSCRIBER_STALL_MS is closed too (see handOver).
   */
  stallMs?: number;
  onError?: (error: unknown) => void;
}

export interface NotifyHub extends LiveHub {
  /** Resolves once the LISTEN connection is up. */
  ready: Promise<void>;
}

/**
 * The LiveHub over LISTEN/NOTIFY (docs/architecture.md, "Data flow" and "Log pipeline"). A log notification
 * carries a small batch itself, handed on without a read, or only says
 * "look" (a workload and its last seq), and the workload's feed reads the
 * table once for all of its subscribers; a row notification
 * carries the committed row, so every change reaches workloadUpdated
 * subscribers in commit order. When the
 * LISTEN connection drops, every feed re-reads after reconnecting, so a lost
 * notification delays a client but never loses an entry.
 */
export function createNotifyHub(db: Database, options: NotifyHubOptions = {}): NotifyHub {
  const onError = options.onError ?? (() => {});
  const feedOptions: FeedOptions = {
    pageSize: options.pageSize ?? CATCH_UP_PAGE_ROWS,
    pageBytes: FEED_PAGE_BYTES,
    subscriberBuffer: options.subscriberBuffer ?? 20_000,
    subscriberBufferBytes: options.subscriberBufferBytes ?? 4 * 1024 * 1024,
    stallMs: options.stallMs ?? SUBSCRIBER_STALL_MS,
    onError,
  };
  const feeds = new Map<string, WorkloadFeed>();

  const listener = createPgListener({
    url: db.url,
    channels: [WORKLOAD_LOGS_CHANNEL, WORKLOAD_UPDATED_CHANNEL],
    onNotification(channel, payload) {
      if (channel === WORKLOAD_LOGS_CHANNEL) {
        // Rows are parsed only for a workload someone follows.
        const feed = feeds.get(notifiedWorkload(payload));
        const batch = feed && parseLogNotification(payload);
        if (batch) feed.logsCommitted(batch.last, batch.entries);
      } else {
        const update = parseWorkloadUpdate(payload);
        const feed = feeds.get(update.id);
        if (!feed) return;
        if (update.row && update.xid !== undefined) feed.rowChanged(update.row, update.xid);
        else feed.requestRow(true);
      }
    },
    onReconnect() {
      for (const feed of feeds.values()) {
        feed.requestRow(true);
        feed.requestLogs(Number.POSITIVE_INFINITY);
      }
    },
    onError,
  });

  // The safety net under NOTIFY: a feed re-reads now and then even without
  // a notification, so a notification lost in a way the listener cannot see
  // delays its subscribers by at most this much.
  const sweep = setInterval(() => {
    for (const feed of feeds.values()) feed.refreshIfQuiet(SWEEP_MS);
  }, SWEEP_MS);
  sweep.unref();

  const feedFor = (id: string) => {
    let feed = feeds.get(id);
    if (!feed) {
      feed = new WorkloadFeed(db.pool, id, feedOptions);
      feeds.set(id, feed);
    }
    return feed;
  };
  const release = (feed: WorkloadFeed) => {
    if (!feed.idle || feeds.get(feed.workloadId) !== feed) return;
    feeds.delete(feed.workloadId);
    feed.close();
  };

  return {
    ready: listener.ready,

    async *workloadUpdates(workloadId, signal) {
      await listener.ready;
      const feed = feedFor(workloadId);
      const sub = new UpdateSubscriber();
      feed.updateSubscribers.add(sub);
      const wake = () => sub.notify();
      signal.addEventListener('abort', wake, { once: true });
      try {
        // The current state, read after joining the feed: changes committed
        // after this read's snapshot follow it, those before are in it.
        const state = await readWorkloadState(db.pool, workloadId);
        if (!state) return;
        sub.offerRead(state.row, new XactSnapshot(state.snapshot));
        let last = '';
        while (!signal.aborted) {
          const row = sub.take();
          if (row) {
            const version = changeKey(row);
            if (version !== last) {
              last = version;
              yield row;
            }
            if (isTerminal(row.stage)) return;
          } else if (feed.gone) return;
          else await sub.wait();
        }
      } finally {
        signal.removeEventListener('abort', wake);
        feed.updateSubscribers.delete(sub);
        release(feed);
      }
    },

    async *workloadLogs(workloadId, after, signal, maxBatch = MAX_BATCH) {
      await listener.ready;
      const feed = feedFor(workloadId);
      const sub = new LogSubscriber(after);
      feed.logSubscribers.add(sub);
      const wake = () => sub.notify();
      signal.addEventListener('abort', wake, { once: true });
      try {
        if (feed.logSeq === undefined) feed.requestRow();
        while (!signal.aborted) {
          sub.lastPullAt = Date.now();
          if (sub.overflowed) throw new LogStreamOverflowError(sub.cursor, 'behind');
          if (feed.gone) return;
          const known = feed.logSeq;
          if (known === undefined) {
            await sub.wait();
            continue;
          }
          if (!sub.live) {
            if (sub.cursor < known) {
              // Joining or fallen behind: read the table from our own cursor.
              yield* catchUp(feed, sub, known, maxBatch);
              continue;
            }
            // Caught up with the feed: from here its reads are ours too (same tick, no seam).
            sub.live = true;
          }
          const waiting = sub.take(maxBatch, LOG_BATCH_BYTES);
          if (waiting.length > 0) {
            const first = (waiting[0] as LogEntryRow).seq;
            const last = (waiting[waiting.length - 1] as LogEntryRow).seq;
            if (first === sub.cursor + 1 && last === sub.cursor + waiting.length) {
              // The usual case: exactly the next entries. The feed's own array goes on (shared, not copied).
              sub.cursor = last;
              yield* handOver(sub, waiting);
              continue;
            }
            const batch: LogEntryRow[] = [];
            for (const entry of waiting) {
              if (entry.seq <= sub.cursor) continue;
              if (entry.seq > sub.cursor + 1) {
                // A gap (the feed moved on without us): read the table from our cursor.
                sub.detach();
                break;
              }
              sub.cursor = entry.seq;
              batch.push(entry);
            }
            if (batch.length > 0) yield* handOver(sub, batch);
            continue;
          }
          if (feed.terminalSeq !== undefined && sub.cursor >= feed.terminalSeq) return;
          await sub.wait();
        }
      } finally {
        signal.removeEventListener('abort', wake);
        feed.logSubscribers.delete(sub);
        release(feed);
      }
    },

    async close() {
      clearInterval(sweep);
      await listener.close();
      for (const feed of feeds.values()) feed.close();
      feeds.clear();
    },
  };

  /**
   * A subscriber joining or fallen behind reads the table from its own
   * cursor, a page of at most CATCH_UP_PAGE_BYTES at a time: what it holds
   * while its socket is slow is one such page.
   */
  async function* catchUp(
    feed: WorkloadFeed,
    sub: LogSubscriber,
    until: number,
    maxBatch: number,
  ): AsyncGenerator<EventBatch<LogEntryRow>> {
    const rows = new PageRows(Math.max(feedOptions.pageSize, maxBatch));
    while (sub.cursor < until && !sub.overflowed) {
      const page = await readLogPage(db.pool, feed.workloadId, sub.cursor, {
        rows: Math.min(rows.next, until - sub.cursor),
        bytes: CATCH_UP_PAGE_BYTES,
      });
      const { entries } = page;
      rows.update(page);
      // Time spent waiting for our own read is not the client's: it is not stalled by it.
      sub.lastPullAt = Date.now();
      if (entries.length === 0) return;
      for (let at = 0; at < entries.length; ) {
        const end = batchEnd(entries, at, maxBatch);
        const batch = entries.slice(at, end);
        at = end;
        sub.cursor = (batch.at(-1) as LogEntryRow).seq;
        yield* handOver(sub, batch);
        sub.lastPullAt = Date.now();
      }
    }
  }

  /**
   * Hands `batch` (ending at sub.cursor) to the subscription. The step
   * comes back once the socket took it: its sender waits while a socket has
   * a lot unwritten, at most SUBSCRIBER_STALL_MS. A step that took that long means the
   * client stopped reading: the subscription ends with LOG_STREAM_OVERFLOW
   * and the last seq it was given, during catch-up as well as live.
   */
  async function* handOver(
    sub: LogSubscriber,
    batch: readonly LogEntryRow[],
  ): AsyncGenerator<EventBatch<LogEntryRow>> {
    const handedAt = Date.now();
    yield new EventBatch(batch);
    if (Date.now() - handedAt >= SUBSCRIBER_STALL_MS) {
      throw new LogStreamOverflowError(sub.cursor, 'stalled');
    }
  }
}

/** The end of the batch starting at `at`: `max` entries or LOG_BATCH_BYTES of messages (one entry at least). */
function batchEnd(entries: readonly LogEntryRow[], at: number, max: number): number {
  let bytes = 0;
  let end = at;
  while (end < entries.length && end - at < max && (end === at || bytes < LOG_BATCH_BYTES)) {
    bytes += (entries[end] as LogEntryRow).message.length;
    end++;
  }
  return end;
}

/** What a client sees change (logSeq moves with every batch and is not a change of state). */
function changeKey(row: WorkloadRow): string {
  return JSON.stringify({ ...row, logSeq: 0 });
}
