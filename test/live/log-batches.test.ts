import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLogWriter } from '../../runner/logs/log-writer.ts';
import { followLogs, type Sdk, WorkloadLogBatchesDocument } from '../../sdk/index.ts';
import { LogSubscriber } from '../../src/live/subscribers.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { range } from './collect.ts';
import { killPrinters, moveThrough, runningWorkload, spawnPrinter } from './helpers.ts';

let db: TestDatabase;
let app: TestApp;
beforeAll(async () => {
  db = await createTestDatabase();
  app = await startTestApp({}, { db });
});
afterEach(() => killPrinters());
afterAll(async () => {
  await app?.close();
  await db?.drop();
});

/** Pipes a printer into a writer for `id` and resolves once every line is committed. */
async function print(id: string, env: Record<string, string>): Promise<void> {
  const sink = createLogWriter(db.pool, id);
  await sink.pipe(spawnPrinter(env).stdout!, 'running', 'info');
  await sink.close();
}

interface Batches {
  sizes: number[];
  seqs: number[];
  messages: string[];
  done: Promise<void>;
  reached(count: number): Promise<void>;
}

/** Follows workloadLogBatches over graphql-ws, keeping every batch's size and every entry. */
function collectBatches(
  sdk: Sdk,
  workloadId: string,
  after: number | null = null,
  maxEntries: number | null = null,
): Batches {
  const sizes: number[] = [];
  const seqs: number[] = [];
  const messages: string[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  const done = sdk.subscribe(
    WorkloadLogBatchesDocument,
    { workloadId, after, maxEntries },
    ({ workloadLogBatches }) => {
      sizes.push(workloadLogBatches.length);
      for (const entry of workloadLogBatches) {
        seqs.push(entry.seq);
        messages.push(entry.message);
      }
      for (const w of waiters) if (seqs.length >= w.count) w.resolve();
    },
  );
  done.catch(() => {});
  return {
    sizes,
    seqs,
    messages,
    done,
    reached: (count) =>
      new Promise<void>((resolve, reject) => {
        if (seqs.length >= count) resolve();
        else waiters.push({ count, resolve });
        done.then(() => reject(new Error(`completed after ${seqs.length} entries, before ${count}`)), reject);
      }),
  };
}

describe('workloadLogBatches over graphql-ws', () => {
  it('20,000 lines: from the start, joining mid-stream and resuming in the middle — in order, no gap or duplicate, batches within maxEntries, complete on stop', async () => {
    const id = await runningWorkload(db.pool);
    const first = collectBatches(app.sdk, id, null, 300);
    const printing = print(id, { LOG_LINES: '20000', LOG_RATE: '10000' });
    await first.reached(3000);
    const joining = collectBatches(app.sdk, id);
    const resuming = collectBatches(app.sdk, id, 7000, 1);
    await printing;
    await moveThrough(db.pool, id, ['running', 'stopped']);
    await Promise.all([first.done, joining.done, resuming.done]);
    expect(first.seqs).toEqual(range(1, 20_000));
    expect(joining.seqs).toEqual(range(1, 20_000));
    expect(resuming.seqs).toEqual(range(7001, 20_000));
    expect(first.messages[19_999]).toMatch(/^line 20000 /);
    for (const sizes of [first.sizes, joining.sizes]) expect(Math.min(...sizes)).toBeGreaterThan(0);
    expect(Math.max(...first.sizes)).toBeLessThanOrEqual(300);
    expect(Math.max(...joining.sizes)).toBeLessThanOrEqual(1000);
    expect(new Set(resuming.sizes)).toEqual(new Set([1]));
    // Many entries per message: the point of batches.
    expect(first.sizes.length).toBeLessThan(20_000);
    // A terminal workload replays in full batches and completes.
    const late = collectBatches(app.sdk, id, 15_000, 5000);
    await late.done;
    expect(late.seqs).toEqual(range(15_001, 20_000));
    expect(late.sizes).toEqual([5000]);
  });

  it('a terminal workload with nothing after `after` completes without sending an empty batch', async () => {
    const id = await runningWorkload(db.pool);
    await print(id, { LOG_LINES: '10' });
    await moveThrough(db.pool, id, ['running', 'stopped']);
    const sub = collectBatches(app.sdk, id, 10);
    await sub.done;
    expect(sub.sizes).toEqual([]);
  });

  it('refuses maxEntries outside 1–5000 and a malformed id with BAD_USER_INPUT, an unknown workload with NOT_FOUND', async () => {
    const id = await runningWorkload(db.pool);
    for (const maxEntries of [0, -1, 5001]) {
      const sub = collectBatches(app.sdk, id, null, maxEntries);
      await expect(sub.done).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
      await expect(sub.done).rejects.toThrow(/maxEntries must be from 1 to 5000 entries per batch/);
    }
    await expect(collectBatches(app.sdk, 'not-an-id').done).rejects.toMatchObject({
      code: 'BAD_USER_INPUT',
    });
    await expect(collectBatches(app.sdk, id, -5).done).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
    await expect(collectBatches(app.sdk, randomUUID()).done).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('followLogs (SDK)', () => {
  it('resumes by `after` when the server drops the socket mid-stream: every entry once, in order', async () => {
    const sockets = new Set<Socket>();
    const track = (_request: unknown, socket: Socket) => {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
    };
    app.server.on('upgrade', track);
    try {
      const id = await runningWorkload(db.pool);
      const seqs: number[] = [];
      const resumedAfter: number[] = [];
      let kill = 2000;
      const killed: number[] = [];
      const following = followLogs(
        { url: app.url, token: app.token },
        {
          workloadId: id,
          maxEntries: 100,
          onEntries(entries) {
            for (const entry of entries) seqs.push(entry.seq);
            if (seqs.length >= kill && killed.length < 2) {
              // From the server's side: the API's end of the connection goes away.
              killed.push(seqs.length);
              kill += 4000;
              for (const socket of sockets) socket.destroy();
            }
          },
          onRetry: ({ after }) => resumedAfter.push(after),
        },
      );
      await print(id, { LOG_LINES: '12000', LOG_RATE: '6000' });
      await moveThrough(db.pool, id, ['running', 'stopped']);
      const result = await following;
      expect(killed).toHaveLength(2);
      expect(resumedAfter.length).toBeGreaterThanOrEqual(2);
      expect(resumedAfter).toEqual([...resumedAfter].sort((a, b) => a - b));
      expect(seqs).toEqual(range(1, 12_000));
      expect(result).toEqual({ lastSeq: 12_000, complete: true });
    } finally {
      app.server.off('upgrade', track);
    }
  });

  it('stops at once when aborted, with what it received', async () => {
    const id = await runningWorkload(db.pool);
    await print(id, { LOG_LINES: '50' });
    const abort = new AbortController();
    const result = await followLogs(
      { url: app.url, token: app.token },
      {
        workloadId: id,
        onEntries: (entries) => {
          if (entries.at(-1)?.seq === 50) abort.abort();
        },
        signal: abort.signal,
      },
    );
    expect(result).toEqual({ lastSeq: 50, complete: false });
  });
});

describe('LogSubscriber', () => {
  it('hands subscribers in step the same arrays, so their batch is executed and framed once', () => {
    const chunk = range(1, 2500).map((seq) => ({
      seq,
      timestamp: new Date(),
      stage: 'running' as const,
      level: 'info' as const,
      message: `line ${seq}`,
    }));
    const [a, b] = [new LogSubscriber(0), new LogSubscriber(0)];
    a.offer(chunk);
    b.offer(chunk);
    const takes = (sub: LogSubscriber) => [sub.take(5000), sub.take(0)];
    expect(a.take(5000)).toBe(chunk);
    expect(b.take(5000)).toBe(chunk);
    a.offer(chunk);
    b.offer(chunk);
    const [a1, a2, a3] = [a.take(1000), a.take(1000), a.take(1000)];
    const [b1, b2, b3] = [b.take(1000), b.take(1000), b.take(1000)];
    expect([a1, a2, a3].map((s) => s.length)).toEqual([1000, 1000, 500]);
    expect(a1).toBe(b1);
    expect(a2).toBe(b2);
    expect(a3).toBe(b3);
    expect(a3[0]?.seq).toBe(2001);
    expect(takes(a)).toEqual([[], []]);
    expect(a.buffered).toBe(0);
  });
});
