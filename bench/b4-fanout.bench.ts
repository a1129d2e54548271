import { readFile } from 'node:fs/promises';
import { followMany } from './fanout-clients.ts';
import { followStandard } from './fanout-standard.ts';
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
 * included) and 1,000 followers of one workload whose service (the
 * log-printer fixture, deployed through the API) prints 200 lines/s for
 * 10 s; lost lines, p99 print → arrival, and the API process's peak RSS.
 *
 * The headline followers are standard graphql-ws clients (createClient over
 * `ws`, one WebSocket each) subscribed to `workloadLogBatches { seq message }`,
 * as the SDK's followLogs, the CLI and the dashboard follow a log; they run
 * in two processes of their own (fanout-standard.ts). Baseline: the same
 * with one follower for 3 s. Second figure: 1,000 raw-frame followers of
 * `workloadLogs { seq message }`, one message per entry (fanout-clients.ts).
 */
const bench: Benchmark = {
  id: 'B4',
  title:
    'log fan-out as shipped: npm start, 1,000 graphql-ws followers, a service printing 200 lines/s for 10 s',
  async run(ctx) {
    const url = await ctx.createDatabase();
    const shipped = await startShipped('npm start', url);
    try {
      const baseline = await fanOutStandard(shipped, 1, 3, () => {});
      let peakRss = await rssMb(shipped.apiPid);
      const sample = async () => {
        peakRss = Math.max(peakRss, await rssMb(shipped.apiPid));
      };
      const run = await fanOutStandard(shipped, SUBSCRIBERS, 10, sample);
      ctx.log(
        `B4 graphql-ws followers: ${run.lost} lines lost, p50 ${run.p50.toFixed(0)} ms, p99 ${run.p99.toFixed(0)} ms`,
      );
      const raw = await fanOut(shipped, SUBSCRIBERS, 10, sample);
      ctx.log(
        `B4 raw-frame workloadLogs followers: ${raw.lost} lines lost, p50 ${raw.p50.toFixed(0)} ms, p99 ${raw.p99.toFixed(0)} ms`,
      );
      ctx.log(`B4 peak RSS ${peakRss.toFixed(0)} MB`);
      return {
        measurements: [
          { name: 'lost', value: run.lost, unit: 'lines' },
          { name: 'p50', value: run.p50, unit: 'ms' },
          { name: 'p99', value: run.p99, unit: 'ms' },
          { name: 'API RSS', value: peakRss, unit: 'MB' },
          { name: 'raw-frame workloadLogs lost', value: raw.lost, unit: 'lines' },
          { name: 'raw-frame workloadLogs p50', value: raw.p50, unit: 'ms' },
          { name: 'raw-frame workloadLogs p99', value: raw.p99, unit: 'ms' },
        ],
        baseline: { name: '1 follower p99', value: baseline.p99, unit: 'ms' },
        ratio: run.p99 / baseline.p99,
        goal: '0 lost, p99 ≤100 ms, API RSS ≤400 MB (ratio: p99 / 1-follower p99)',
        met: run.lost === 0 && raw.lost === 0 && run.p99 <= 100 && peakRss <= 400,
        notes: [
          'B4 runs npm start (API and its runner thread: RSS is the whole process, over both runs); the service is deployed by that runner. The headline followers are 1,000 graphql-ws clients on workloadLogBatches in two processes of their own; the second figure, 1,000 minimal WebSocket readers (bench/raw-websocket.ts) on workloadLogs in the bench process: 1,000 graphql-ws clients taking one message per entry would need more CPU than this machine has next to the server they measure.',
          `each run prints ${WARMUP_SECONDS} s of warm-up lines first: counted for lost, not for latency; so are lines printed before the last follower had subscribed`,
        ],
      };
    } finally {
      await shipped.stop();
    }
  },
};

/** A printer deployment for `subscribers` followers and `seconds` of printing (after the warm-up), and its workload. */
async function printingWorkload(shipped: Shipped, subscribers: number, seconds: number) {
  const warmupLines = RATE * WARMUP_SECONDS;
  const lines = RATE * seconds + warmupLines;
  const deployment = await printerDeployment(shipped.sdk, {
    LOG_LINES: String(lines),
    LOG_RATE: String(RATE),
    // Time for every follower to connect and reach the live phase before the first line (lines printed
    // before the last one subscribed are counted for "lost" only).
    LOG_DELAY_MS: String(3000 + subscribers * 20),
  });
  const id = await createWorkload(shipped.sdk, deployment);
  // Should a follower miss the last line, the workload is stopped anyway once the service is done.
  const deadlineMs = 3000 + subscribers * 20 + seconds * 1000 + 30_000;
  return { id, lines, warmupLines, deadlineMs };
}

async function fanOutStandard(
  shipped: Shipped,
  subscribers: number,
  seconds: number,
  sample: () => void | Promise<void>,
) {
  const { id, lines, warmupLines, deadlineMs } = await printingWorkload(shipped, subscribers, seconds);
  const followers = followStandard({
    url: shipped.url,
    token: shipped.token,
    workloadId: id,
    count: subscribers,
    lines,
    warmupLines,
    processes: subscribers > 1 ? 2 : 1,
  });
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= stopWorkload(shipped.sdk, id);
  };
  const deadline = setTimeout(stop, deadlineMs);
  const sampler = setInterval(() => void sample(), 500);
  try {
    await followers.subscribed;
    const allSubscribedAt = now();
    followers.finished.then(stop, () => {});
    const { samples, received } = await followers.done;
    await stopping;
    const latencies: number[] = [];
    for (let i = 0; i < samples.length; i += 2) {
      if ((samples[i] as number) >= allSubscribedAt) latencies.push(samples[i + 1] as number);
    }
    latencies.sort((a, b) => a - b);
    const lost = received.reduce((sum, c) => sum + (lines - c), 0);
    return { lost, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
  } finally {
    clearTimeout(deadline);
    clearInterval(sampler);
    followers.kill();
  }
}

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
  const { id, lines, warmupLines, deadlineMs } = await printingWorkload(shipped, subscribers, seconds);
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
  const deadline = setTimeout(() => {
    stopping ??= stopWorkload(shipped.sdk, id);
  }, deadlineMs);
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
