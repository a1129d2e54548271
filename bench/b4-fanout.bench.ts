import { readFile } from 'node:fs/promises';
import { followMany } from './fanout-clients.ts';
import type { Benchmark } from './harness.ts';
import { now, writtenAt } from './live-logs.ts';
import { createWorkload, printerDeployment, type Shipped, startShipped, stopWorkload } from './shipped.ts';
import { percentile } from './stats.ts';

const SUBSCRIBERS = 1000;
const RATE = 200;
/**
 * The first second of printing warms the path (JIT in the API and in the
 * measuring clients): its lines count for "lost" but not for latency.
 */
const WARMUP_SECONDS = 1;

/**
 * B4, as users run it: `npm start` (started through npm, its runner
 * included) and 1,000 subscribers (one WebSocket each, speaking
 * graphql-transport-ws; see fanout-clients.ts) of one workload whose
 * service (the log-printer fixture, deployed through the API) prints 200
 * lines/s for 10 s; lost lines, p99 print → arrival, and the API process's
 * peak RSS. Baseline: the same with one subscriber for 3 s.
 */
const bench: Benchmark = {
  id: 'B4',
  title: 'log fan-out as shipped: npm start, 1,000 subscribers, a service printing 200 lines/s for 10 s',
  async run(ctx) {
    const url = await ctx.createDatabase();
    const shipped = await startShipped('npm start', url);
    try {
      const baseline = await fanOut(shipped, 1, 3, () => {});
      let peakRss = await rssMb(shipped.apiPid);
      const run = await fanOut(shipped, SUBSCRIBERS, 10, async () => {
        peakRss = Math.max(peakRss, await rssMb(shipped.apiPid));
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
          'B4 runs npm start (API and its runner thread: RSS is the whole process); the service is deployed by that runner. Its 1,000 measuring clients read frames with a minimal WebSocket reader (bench/raw-websocket.ts): 1,000 graphql-ws clients would need more CPU than this machine has next to the server they measure.',
          `each run prints ${WARMUP_SECONDS} s of warm-up lines first: counted for lost, not for latency; so are lines printed before the last subscriber had subscribed`,
        ],
      };
    } finally {
      await shipped.stop();
    }
  },
};

async function rssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN) / 1024;
}

async function fanOut(
  shipped: Shipped,
  subscribers: number,
  seconds: number,
  sample: () => void | Promise<void>,
) {
  const warmupLines = RATE * WARMUP_SECONDS;
  const lines = RATE * seconds + warmupLines;
  const deployment = await printerDeployment(shipped.sdk, {
    LOG_LINES: String(lines),
    LOG_RATE: String(RATE),
    // Time for every subscriber to connect and reach the live phase before the first line (lines printed
    // before the last one subscribed are counted for "lost" only).
    LOG_DELAY_MS: String(3000 + subscribers * 20),
  });
  const id = await createWorkload(shipped.sdk, deployment);
  // Preallocated: a plain array growing to 2M numbers copies itself on the way, in the measuring process.
  const latencies = new Float64Array(lines * subscribers);
  let received = 0;
  // Per slice of write time (B4_TIMELINE ms): the latencies of lines written in it (where the tail comes from).
  const bySlice = new Map<number, number[]>();
  const counts = new Array<number>(subscribers).fill(0);
  // Read once: process.env is a call into the runtime on every access, and this runs 2 million times.
  const timelineSlice = process.env.B4_TIMELINE ? Number(process.env.B4_TIMELINE) : 0;
  let stopping: Promise<void> | undefined;
  let finished = 0;
  let allSubscribedAt = Number.POSITIVE_INFINITY;
  // Raw graphql-transport-ws clients: 1,000 graphql-ws clients in this
  // process would cost about as much as the server being measured.
  const followers = await followMany(
    shipped.url,
    id,
    subscribers,
    {
      entry(index, _seq, message) {
        if (!message.startsWith('line ')) return;
        counts[index] = (counts[index] ?? 0) + 1;
        const n = Number(message.slice(5, message.indexOf(' ', 5))); // `line N t=…`
        if (n === lines && ++finished === subscribers) stopping = stopWorkload(shipped.sdk, id);
        if (n <= warmupLines) return;
        const at = writtenAt(message);
        if (at < allSubscribedAt) return;
        const latency = now() - at;
        if (received < latencies.length) latencies[received++] = latency;
        if (timelineSlice) {
          const start = Math.floor(at / timelineSlice) * timelineSlice;
          const list = bySlice.get(start) ?? [];
          if (list.length === 0) bySlice.set(start, list);
          list.push(latency);
        }
      },
    },
    shipped.token,
  );
  allSubscribedAt = now();
  followers.done.catch(() => {});
  const sampler = setInterval(() => void sample(), 500);
  // Should a subscriber miss the last line, the workload is stopped anyway once the service is done.
  const deadline = setTimeout(
    () => {
      stopping ??= stopWorkload(shipped.sdk, id);
    },
    3000 + subscribers * 20 + seconds * 1000 + 30_000,
  );
  try {
    await followers.done;
    await stopping;
  } finally {
    clearTimeout(deadline);
    clearInterval(sampler);
    followers.close();
  }
  const sorted = Array.from(latencies.subarray(0, received).sort());
  if (timelineSlice) printTimeline(bySlice);
  const lost = counts.reduce((sum, c) => sum + (lines - c), 0);
  return { lost, p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
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
