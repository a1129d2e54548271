import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyLogBatch } from '../../core/sql/copy-logs.ts';
import { insertLogBatch, WORKLOAD_LOGS_CHANNEL } from '../../core/sql/insert-logs.ts';
import { type LogNotification, parseLogNotification } from '../../core/sql/log-notification.ts';
import { readLogs } from '../../core/sql/read-logs.ts';
import { LogSubscriber } from '../../src/live/subscribers.ts';
import { WorkloadFeed } from '../../src/live/workload-feed.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { runningWorkload } from './helpers.ts';

let db: TestDatabase;
let listener: pg.Client;
const received: LogNotification[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  listener = new pg.Client({ connectionString: db.url });
  await listener.connect();
  listener.on('notification', (n) => {
    const parsed = n.channel === WORKLOAD_LOGS_CHANNEL && parseLogNotification(n.payload ?? '');
    if (parsed) received.push(parsed);
  });
  await listener.query(`listen ${WORKLOAD_LOGS_CHANNEL}`);
});
afterAll(async () => {
  await listener?.end();
  await db?.drop();
});

const entry = (message: string, level: 'info' | 'error' = 'info') => ({
  ts: Date.now(),
  stage: 'running' as const,
  level,
  message,
});

/** The notification of the batch that ended the log at `last`. */
async function notificationOf(workloadId: string, last: number): Promise<LogNotification> {
  await expect.poll(() => received.some((n) => n.workloadId === workloadId && n.last === last)).toBe(true);
  return received.find((n) => n.workloadId === workloadId && n.last === last) as LogNotification;
}

/** What a reader of the table gets, as plain values. */
async function stored(workloadId: string, after: number, limit: number) {
  const rows = await readLogs(db.pool, workloadId, { after, limit });
  return rows.map(({ seq, timestamp, stage, level, message }) => ({ seq, timestamp, stage, level, message }));
}

describe('a log batch’s notification', () => {
  it('carries a small batch exactly as it is stored', async () => {
    const id = await runningWorkload(db.pool);
    await insertLogBatch(db.pool, id, [entry('first')]);
    const batch = [
      entry('quotes " and \\ backslashes, a tab\tand a bell \u0007'),
      entry('emoji 😀, accents éàü, CJK 漢字', 'error'),
      entry('a lone surrogate \ud800 is stored as U+FFFD'),
      entry('{"looks":"like json"}:with:colons'),
    ];
    const last = await insertLogBatch(db.pool, id, batch);
    expect(last).toBe(5);

    const notification = await notificationOf(id, 5);
    expect(notification.entries).toEqual(await stored(id, 1, 10));
    expect(notification.entries?.[2]?.message).toBe('a lone surrogate \uFFFD is stored as U+FFFD');
  });

  it('only announces a batch too big for a payload, or one written by COPY', async () => {
    const id = await runningWorkload(db.pool);
    await insertLogBatch(db.pool, id, [entry('x'.repeat(5000)), entry('y'.repeat(5000))]);
    expect((await notificationOf(id, 2)).entries).toBeUndefined();
    // Three bytes a character: 3,000 characters are 9,000 bytes.
    await insertLogBatch(db.pool, id, [entry('€'.repeat(3000))]);
    expect((await notificationOf(id, 3)).entries).toBeUndefined();

    const many = Array.from({ length: 150 }, (_, i) => entry(`copied ${i}`));
    await copyLogBatch(db.pool, id, many, 3);
    expect((await notificationOf(id, 153)).entries).toBeUndefined();
  });
});

/** The real pool, counting the statements that read the log table. */
function countingPool(pool: pg.Pool) {
  const counter = { logReads: 0 };
  const wrapped = new Proxy(pool, {
    get(target, key) {
      if (key !== 'query') return Reflect.get(target, key);
      return (query: string | pg.QueryConfig, values?: unknown[]) => {
        const text = typeof query === 'string' ? query : query.text;
        if (text.includes('from "workload_log"')) counter.logReads++;
        return target.query(query as never, values);
      };
    },
  });
  return { pool: wrapped, counter };
}

describe('WorkloadFeed with notified batches', () => {
  async function liveFeed(id: string, followers = 1) {
    const counting = countingPool(db.pool);
    const feed = new WorkloadFeed(counting.pool, id, {
      pageSize: 1000,
      subscriberBuffer: 10_000,
      stallMs: 60_000,
      onError: (error) => {
        throw error;
      },
    });
    const subscribers = Array.from({ length: followers }, () => {
      const subscriber = new LogSubscriber(0);
      subscriber.live = true;
      feed.logSubscribers.add(subscriber);
      return subscriber;
    });
    feed.requestRow();
    await expect.poll(() => feed.logSeq).toBe(0);
    return { feed, subscriber: subscribers[0] as LogSubscriber, subscribers, counter: counting.counter };
  }

  /** Writes a batch and hands its notification to the feed, as the hub does. */
  async function writeAndNotify(feed: WorkloadFeed, id: string, messages: string[]) {
    const last = await insertLogBatch(
      db.pool,
      id,
      messages.map((m) => entry(m)),
    );
    const notification = await notificationOf(id, last);
    feed.logsCommitted(notification.last, notification.entries);
    return last;
  }

  it('hands small batches to live subscribers without reading the table', async () => {
    const id = await runningWorkload(db.pool);
    const { feed, subscriber, counter } = await liveFeed(id);
    await writeAndNotify(feed, id, ['a']);
    await writeAndNotify(feed, id, ['b', 'c']);
    await writeAndNotify(feed, id, ['d']);

    await expect.poll(() => feed.logSeq).toBe(4);
    expect(subscriber.take(100).map((e) => e.message)).toEqual(['a', 'b', 'c', 'd']);
    expect(counter.logReads).toBe(0);
    feed.close();
  });

  it('reads the table for a batch that came without its entries, in order and once', async () => {
    const id = await runningWorkload(db.pool);
    const { feed, subscriber, counter } = await liveFeed(id);
    await writeAndNotify(feed, id, ['1']);
    // Too big to travel: the feed must read it, then go on with the notified batch after it.
    await writeAndNotify(feed, id, ['2'.repeat(9000)]);
    await writeAndNotify(feed, id, ['3']);
    // A repeated notification (a reconnect's catch-up) changes nothing.
    const again = await notificationOf(id, 3);
    feed.logsCommitted(again.last, again.entries);

    await expect.poll(() => feed.logSeq).toBe(3);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(subscriber.take(100).map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(counter.logReads).toBeGreaterThan(0);
    feed.close();
  });

  it('gathers the batches of a moment into one array shared by many followers', async () => {
    const id = await runningWorkload(db.pool);
    const { feed, subscribers } = await liveFeed(id, 40);
    // Four batches whose notifications arrive together, as from a service printing a line every few ms.
    const notifications = [];
    for (const line of ['a', 'b', 'c', 'd']) {
      notifications.push(await notificationOf(id, await insertLogBatch(db.pool, id, [entry(line)])));
    }
    for (const n of notifications) feed.logsCommitted(n.last, n.entries);

    await expect.poll(() => subscribers.every((s) => s.buffered === 4)).toBe(true);
    const taken = subscribers.map((s) => s.take(100));
    expect(taken[0]?.map((e) => e.message)).toEqual(['a', 'b', 'c', 'd']);
    // One array for all: one execution and one frame for every follower in step.
    expect(new Set(taken).size).toBe(1);
    feed.close();
  });

  it('keeps seq order when followers leave while batches are gathered', async () => {
    const id = await runningWorkload(db.pool);
    const { feed, subscribers } = await liveFeed(id, 40);
    await writeAndNotify(feed, id, ['first']);
    for (const s of subscribers.slice(1)) feed.logSubscribers.delete(s);
    await writeAndNotify(feed, id, ['second']);

    const [follower] = subscribers as [LogSubscriber];
    await expect.poll(() => follower.buffered).toBe(2);
    expect(follower.take(100).map((e) => e.message)).toEqual(['first', 'second']);
    feed.close();
  });
});
