import pg from 'pg';
import { openDatabase } from '../core/db/database.ts';
import { createLogWriter } from '../runner/logs/log-writer.ts';
import { createSdk } from '../sdk/index.ts';
import type { Benchmark } from './harness.ts';
import {
  API_TOKEN,
  finish,
  follow,
  now,
  runningWorkload,
  spawnPrinter,
  startApiProcess,
  writtenAt,
} from './live-logs.ts';
import { percentile } from './stats.ts';

const RATE = 1000;
const SECONDS = 10;

/**
 * B2: a service prints 1,000 lines/s for 10 s, each carrying its write time;
 * p50/p99 from the write to the arrival at a graphql-ws subscriber (printer →
 * log writer → INSERT + NOTIFY → API's LISTEN → read → graphql-ws). Baseline:
 * the floor of the database path alone — a plain client INSERTs each line with
 * a NOTIFY and a plain LISTEN client receives it, same rate, same run.
 */
const bench: Benchmark = {
  id: 'B2',
  title: 'log latency: 1,000 lines/s for 10 s, write → graphql-ws subscriber',
  async run(ctx) {
    const url = await ctx.createDatabase();
    const api = await startApiProcess(url);
    const db = await openDatabase(url, { migrate: false });
    const sdk = createSdk({ url: api.url, token: API_TOKEN });
    try {
      const id = await runningWorkload(db.pool);
      const latencies: number[] = [];
      const subscribed = follow(sdk, id, (_seq, message) => latencies.push(now() - writtenAt(message)));
      // Let the subscription reach the live phase before printing.
      await new Promise((r) => setTimeout(r, 300));
      const sink = createLogWriter(db.pool, id);
      await sink.pipe(
        spawnPrinter({ LOG_LINES: String(RATE * SECONDS), LOG_RATE: String(RATE) }).stdout as never,
        'running',
        'info',
      );
      await sink.close();
      await finish(db.pool, id);
      await subscribed;
      latencies.sort((a, b) => a - b);

      const baseline = await notifyFloor(url, ctx.log);
      const p50 = percentile(latencies, 50);
      const p99 = percentile(latencies, 99);
      return {
        measurements: [
          { name: 'p50', value: p50, unit: 'ms' },
          { name: 'p99', value: p99, unit: 'ms' },
          { name: 'received', value: latencies.length, unit: 'lines' },
        ],
        baseline: { name: 'INSERT+NOTIFY→LISTEN p50', value: baseline.p50, unit: 'ms' },
        ratio: p50 / baseline.p50,
        goal: 'p50 ≤5 ms, p99 ≤15 ms (ratio: ours p50 / floor p50)',
        met: p50 <= 5 && p99 <= 15 && latencies.length === RATE * SECONDS,
        notes: [
          `B2 floor p99 ${baseline.p99.toFixed(2)} ms; the writer is driven directly from a spawned printer, the API runs in a child process.`,
        ],
      };
    } finally {
      await sdk.close();
      await db.close();
      await api.stop();
    }
  },
};

/** One INSERT + NOTIFY per line from a plain client, received by a plain LISTEN client: 3 s at RATE. */
async function notifyFloor(url: string, log: (line: string) => void) {
  const writer = new pg.Client({ connectionString: url });
  const listener = new pg.Client({ connectionString: url });
  await Promise.all([writer.connect(), listener.connect()]);
  try {
    const id = await runningWorkload(writer as unknown as pg.Pool);
    const latencies: number[] = [];
    listener.on('notification', (n) => latencies.push(now() - Number(n.payload)));
    await listener.query('listen bench_floor');
    const lines = RATE * 3;
    const start = now();
    for (let i = 1; i <= lines; i++) {
      const wait = start + (i * 1000) / RATE - now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const t = now();
      await writer.query(
        `with i as (insert into workload_log (workload_id, seq, ts, stage, level, message)
                    values ($1, $2, now(), 'running', 'info', $3) returning seq)
         select pg_notify('bench_floor', $4) from i`,
        [id, i, `line ${i}`, String(t)],
      );
    }
    await new Promise((r) => setTimeout(r, 200));
    latencies.sort((a, b) => a - b);
    log(`floor: ${latencies.length} notifications`);
    return { p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
  } finally {
    await Promise.all([writer.end(), listener.end()]);
  }
}

export default bench;
