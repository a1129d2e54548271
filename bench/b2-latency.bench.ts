import pg from 'pg';
import type { Benchmark, Measurement } from './harness.ts';
import { now, runningWorkload, writtenAt } from './live-logs.ts';
import { createWorkload, printerDeployment, startShipped, stopWorkload } from './shipped.ts';
import { followWith, type Subscription } from './standard-client.ts';
import { percentile } from './stats.ts';

const RATE = 1000;
const SECONDS = 10;

/**
 * B2, as users run it: `npm start` (started through npm), a real service
 * (the log-printer fixture, deployed through the API) printing 1,000
 * lines/s for 10 s, each line carrying the time it was printed; p50/p99
 * from the print to the arrival at a standard graphql-ws client subscribed
 * to workloadLogs `{ seq level message }` (service → runner's log writer →
 * INSERT + NOTIFY → API's LISTEN → read → graphql-ws). The same with
 * workloadLogBatches as a second figure. Baseline: the floor of the
 * database path alone — a plain client INSERTs each line with a NOTIFY and
 * a plain LISTEN client receives it, same rate, same run.
 */
const bench: Benchmark = {
  id: 'B2',
  title:
    'log latency as shipped: npm start, a service printing 1,000 lines/s for 10 s, a graphql-ws subscriber',
  async run(ctx) {
    const url = await ctx.createDatabase();
    const shipped = await startShipped('npm start', url);
    const measurements: Measurement[] = [];
    const results = {} as Record<Subscription, { p50: number; p99: number; received: number }>;
    try {
      const deployment = await printerDeployment(shipped.sdk, {
        LOG_LINES: String(RATE * SECONDS),
        LOG_RATE: String(RATE),
        // Time for the subscriber to reach the live phase before the first line.
        LOG_DELAY_MS: '3000',
      });
      for (const subscription of ['workloadLogs', 'workloadLogBatches'] as const) {
        const id = await createWorkload(shipped.sdk, deployment);
        const latencies: number[] = [];
        let stopping: Promise<void> | undefined;
        await followWith(subscription, shipped.url, shipped.token, id, (_seq, message) => {
          if (!message.startsWith('line ')) return;
          latencies.push(now() - writtenAt(message));
          if (message.startsWith(`line ${RATE * SECONDS} `)) stopping = stopWorkload(shipped.sdk, id);
        });
        await stopping;
        latencies.sort((a, b) => a - b);
        results[subscription] = {
          p50: percentile(latencies, 50),
          p99: percentile(latencies, 99),
          received: latencies.length,
        };
        ctx.log(
          `${subscription}: p50 ${results[subscription].p50.toFixed(2)} ms, p99 ${results[subscription].p99.toFixed(2)} ms`,
        );
      }
    } finally {
      await shipped.stop();
    }
    const baseline = await notifyFloor(url, ctx.log);
    const main = results.workloadLogs;
    const batches = results.workloadLogBatches;
    measurements.push(
      { name: 'p50', value: main.p50, unit: 'ms' },
      { name: 'p99', value: main.p99, unit: 'ms' },
      { name: 'received', value: main.received, unit: 'lines' },
      { name: 'workloadLogBatches p50', value: batches.p50, unit: 'ms' },
      { name: 'workloadLogBatches p99', value: batches.p99, unit: 'ms' },
    );
    return {
      measurements,
      baseline: { name: 'INSERT+NOTIFY→LISTEN p50', value: baseline.p50, unit: 'ms' },
      ratio: main.p50 / baseline.p50,
      goal: 'through npm start: p50 ≤5 ms, p99 ≤15 ms (ratio: ours p50 / floor p50)',
      met: main.p50 <= 5 && main.p99 <= 15 && main.received === RATE * SECONDS,
      notes: [
        `B2 floor p99 ${baseline.p99.toFixed(2)} ms. npm start started through npm; the service is deployed by its runner; the subscriber is a standard graphql-ws client (workloadLogs; workloadLogBatches received ${batches.received} lines).`,
      ],
    };
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
