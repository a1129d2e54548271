import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkloadRow } from '../../core/sql/create-workload.ts';
import { insertLogBatch } from '../../core/sql/insert-logs.ts';
import { LogSubscriber } from '../../src/live/subscribers.ts';
import { WorkloadFeed } from '../../src/live/workload-feed.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { seedDeployment } from '../support/seed.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db?.drop());

const entries = (n: number, from: number) =>
  Array.from({ length: n }, (_, i) => ({
    ts: new Date(),
    stage: 'running' as const,
    level: 'info' as const,
    message: `line ${from + i}`,
  }));

/**
 * A pool whose log reads run at once but answer only when released: the
 * read's snapshot is taken before whatever the test commits meanwhile.
 */
function gatedPool(pool: pg.Pool) {
  let gate: Promise<void> | undefined;
  let open: () => void = () => {};
  const wrapped = new Proxy(pool, {
    get(target, key) {
      if (key !== 'query') return Reflect.get(target, key);
      return async (query: string | pg.QueryConfig, values?: unknown[]) => {
        const result = await target.query(query as never, values);
        const text = typeof query === 'string' ? query : query.text;
        if (gate && text.includes('"workload_log"')) await gate;
        return result;
      };
    },
  });
  return {
    pool: wrapped,
    hold() {
      gate = new Promise((resolve) => {
        open = resolve;
      });
    },
    release() {
      gate = undefined;
      open();
    },
  };
}

describe('WorkloadFeed', () => {
  it('reads again for a batch announced while a read was running (no stall until the sweep)', async () => {
    const deploymentId = await seedDeployment(db);
    const workload = await createWorkloadRow(db.pool, deploymentId, 'svc');
    await insertLogBatch(db.pool, workload.id, entries(10, 1));

    const gated = gatedPool(db.pool);
    const feed = new WorkloadFeed(gated.pool, workload.id, {
      pageSize: 1000,
      subscriberBuffer: 10_000,
      stallMs: 60_000,
      onError: (error) => {
        throw error;
      },
    });
    const subscriber = new LogSubscriber(0);
    subscriber.live = true;
    feed.logSubscribers.add(subscriber);
    feed.requestRow();
    await expect.poll(() => feed.logSeq).toBe(10);

    // Batch A is announced; its read runs (snapshot without B) and is held.
    await insertLogBatch(db.pool, workload.id, entries(5, 11));
    gated.hold();
    feed.requestLogs(15);
    await new Promise((resolve) => setTimeout(resolve, 50));
    // Batch B commits and is announced while A's read is still out.
    const lastB = await insertLogBatch(db.pool, workload.id, entries(3, 16));
    feed.requestLogs(lastB);
    gated.release();

    await expect.poll(() => feed.logSeq, { timeout: 2_000 }).toBe(18);
    const seqs = subscriber.take(1000).map((e) => e.seq);
    expect(seqs).toEqual(Array.from({ length: 8 }, (_, i) => 11 + i));
    feed.close();
  });
});
