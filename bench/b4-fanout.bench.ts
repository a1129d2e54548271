import { openDatabase } from '../core/db/database.ts';
import { createLogWriter } from '../runner/logs/log-writer.ts';
import { followMany } from './fanout-clients.ts';
import type { Benchmark } from './harness.ts';
import { finish, now, runningWorkload, spawnPrinter, startApiProcess, writtenAt } from './live-logs.ts';
import { percentile } from './stats.ts';

const SUBSCRIBERS = 1000;
const RATE = 200;
/**
 * The first second of printing warms the path (JIT in the API and in the
 * measuring clients): its lines count for "lost" but not for latency.
 */
const WARMUP_SECONDS = 1;

/**
 * B4: 1,000 graphql-ws subscribers (one WebSocket each, speaking
 * graphql-transport-ws; see fanout-clients.ts) on one workload
 * printing 200 lines/s for 10 s; lost lines, p99 write → arrival, and the API
 * process's peak RSS (the API runs in a child process). Baseline: the same
 * with one subscriber for 3 s.
 */
const bench: Benchmark = {
  id: 'B4',
  title: 'log fan-out: 1,000 graphql-ws subscribers, 200 lines/s for 10 s',
  async run(ctx) {
    const url = await ctx.createDatabase();
    const api = await startApiProcess(url);
    const db = await openDatabase(url, { migrate: false });
    try {
      const baseline = await fanOut(url, api.url, db, 1, 3, () => {});
      let peakRss = await api.rssMb();
      const run = await fanOut(url, api.url, db, SUBSCRIBERS, 10, async () => {
        peakRss = Math.max(peakRss, await api.rssMb());
      });
      ctx.log(`B4: ${run.lost} lines lost, peak RSS ${peakRss.toFixed(0)} MB`);
      return {
        measurements: [
          { name: 'lost', value: run.lost, unit: 'lines' },
          { name: 'p50', value: run.p50, unit: 'ms' },
          { name: 'p99', value: run.p99, unit: 'ms' },
          { name: 'API RSS', value: peakRss, unit: 'MB' },
        ],
        baseline: { name: '1 subscriber p99', value: baseline.p99, unit: 'ms' },
        ratio: run.p99 / baseline.p99,
        goal: '0 lost, p99 ≤100 ms, API RSS ≤400 MB (ratio: p99 / 1-subscriber p99)',
        met: run.lost === 0 && run.p99 <= 100 && peakRss <= 400,
        notes: [
          'B4 drives the log writer directly from a spawned printer; the API runs in a child process.',
          `each run prints ${WARMUP_SECONDS} s of warm-up lines first: counted for lost, not for latency`,
        ],
      };
    } finally {
      await db.close();
      await api.stop();
    }
  },
};

async function fanOut(
  _url: string,
  apiUrl: string,
  db: { pool: import('pg').Pool },
  subscribers: number,
  seconds: number,
  sample: () => void | Promise<void>,
) {
  const id = await runningWorkload(db.pool);
  const warmupLines = RATE * WARMUP_SECONDS;
  const lines = RATE * seconds + warmupLines;
  // Preallocated: a plain array growing to 2M numbers copies itself on the way, in the measuring process.
  const latencies = new Float64Array(lines * subscribers);
  let received = 0;
  // Per slice of write time (B4_TIMELINE ms): the latencies of lines written in it (where the tail comes from).
  const bySlice = new Map<number, number[]>();
  const counts = new Array<number>(subscribers).fill(0);
  // Read once: process.env is a call into the runtime on every access, and this runs 2 million times.
  const timelineSlice = process.env.B4_TIMELINE ? Number(process.env.B4_TIMELINE) : 0;
  // Raw graphql-transport-ws clients: 1,000 graphql-ws clients in this
  // process would cost about as much as the server being measured.
  const followers = await followMany(apiUrl, id, subscribers, {
    entry(index, _seq, message) {
      counts[index] = (counts[index] ?? 0) + 1;
      if (Number(message.slice(5, message.indexOf(' ', 5))) <= warmupLines) return; // `line N t=…`
      const at = writtenAt(message);
      const latency = now() - at;
      if (received < latencies.length) latencies[received++] = latency;
      if (timelineSlice) {
        const start = Math.floor(at / timelineSlice) * timelineSlice;
        const list = bySlice.get(start) ?? [];
        if (list.length === 0) bySlice.set(start, list);
        list.push(latency);
      }
    },
  });
  followers.done.catch(() => {});
  try {
    // Let every subscription reach the live phase before printing.
    await new Promise((r) => setTimeout(r, 1000 + subscribers));
    const sampler = setInterval(() => void sample(), 500);
    try {
      const sink = createLogWriter(db.pool, id);
      await sink.pipe(
        spawnPrinter({ LOG_LINES: String(lines), LOG_RATE: String(RATE) }).stdout as never,
        'running',
        'info',
      );
      await sink.close();
      await finish(db.pool, id);
      await followers.done;
    } finally {
      clearInterval(sampler);
    }
    const sorted = Array.from(latencies.subarray(0, received).sort());
    if (timelineSlice) printTimeline(bySlice);
    const lost = counts.reduce((sum, c) => sum + (lines - c), 0);
    return { lost, p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
  } finally {
    followers.close();
  }
}

/** p50/p99/max of the lines written in each B4_TIMELINE ms of the run (e.g. B4_TIMELINE=1000). */
function printTimeline(bySlice: Map<number, number[]>): void {
  const starts = [...bySlice.keys()].sort((a, b) => a - b);
  for (const start of starts) {
    const list = (bySlice.get(start) as number[]).sort((a, b) => a - b);
    const [p50, p99, max] = [percentile(list, 50), percentile(list, 99), list.at(-1) as number];
    console.error(
      `  t+${start - (starts[0] as number)}ms n=${list.length} p50=${p50.toFixed(0)} p99=${p99.toFixed(0)} max=${max.toFixed(0)}`,
    );
  }
}

export default bench;
