import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { Benchmark, Measurement } from './harness.ts';
import { now, runningWorkload } from './live-logs.ts';
import {
  cpuByThread,
  cpuSeconds,
  createWorkload,
  printerDeployment,
  type Shape,
  type Shipped,
  startShipped,
  stopWorkload,
} from './shipped.ts';
import { followWith, type Subscription } from './standard-client.ts';

const LINES = 200_000;
const GOALS = { workloadLogBatches: 0.6, workloadLogs: 0.3, replay: 0.8 };

/**
 * B1, as users run it: `npm start` (API and runner, as its start script
 * makes them) and, beside it, the split configuration (`npm start` without
 * its runner + `npm run runner`), each started through npm as a child
 * process. A real service (the log-printer fixture, deployed through the
 * API) prints 200,000 lines as fast as its pipe takes them; a standard
 * graphql-ws client subscribed to `{ seq level message }` measures lines/s
 * from the service's first line to the arrival of its last, once with
 * workloadLogBatches and once with workloadLogs (a workload each). Then the
 * stored log is replayed from seq 1 with each. Baseline, same run: `psql
 * \copy` of the same rows (exported from the table) into the table.
 */
const bench: Benchmark = {
  id: 'B1',
  title: 'log throughput as shipped: npm start, a service printing 200,000 lines, a graphql-ws subscriber',
  async run(ctx) {
    const measurements: Measurement[] = [];
    const notes: string[] = [];
    let headline: ShapeResult | undefined;
    for (const shape of ['npm start', 'split'] as const) {
      const url = await ctx.createDatabase();
      const result = await runShape(shape, url, ctx.log);
      headline ??= result;
      const tag = shape === 'npm start' ? '' : ' (split)';
      const r = (v: number) => v / result.copyIn;
      measurements.push(
        { name: `workloadLogBatches${tag}`, value: result.live.workloadLogBatches, unit: 'lines/s' },
        { name: `workloadLogs${tag}`, value: result.live.workloadLogs, unit: 'lines/s' },
        { name: `replay batches${tag}`, value: result.replay.workloadLogBatches, unit: 'lines/s' },
        { name: `replay workloadLogs${tag}`, value: result.replay.workloadLogs, unit: 'lines/s' },
      );
      notes.push(
        `${shape}: ratios to psql \\copy (${fmt(result.copyIn)} lines/s): batches ${r(result.live.workloadLogBatches).toFixed(2)}×, workloadLogs ${r(result.live.workloadLogs).toFixed(2)}×, replay batches ${r(result.replay.workloadLogBatches).toFixed(2)}×, replay workloadLogs ${r(result.replay.workloadLogs).toFixed(2)}×; psql \\copy out of the table (export) ${fmt(result.copyOut)} lines/s`,
        ...result.cpu.map((line) => `${shape}: ${line}`),
      );
    }
    const h = headline as ShapeResult;
    const ratios = {
      workloadLogBatches: h.live.workloadLogBatches / h.copyIn,
      workloadLogs: h.live.workloadLogs / h.copyIn,
      replay: h.replay.workloadLogBatches / h.copyIn,
    };
    return {
      measurements,
      baseline: { name: 'psql \\copy of the same rows', value: h.copyIn, unit: 'lines/s' },
      ratio: ratios.workloadLogBatches,
      goal: `through npm start, ×psql \\copy: batches ≥${GOALS.workloadLogBatches}, workloadLogs ≥${GOALS.workloadLogs}, replay with batches ≥${GOALS.replay} (ratio: batches)`,
      met:
        ratios.workloadLogBatches >= GOALS.workloadLogBatches &&
        ratios.workloadLogs >= GOALS.workloadLogs &&
        ratios.replay >= GOALS.replay,
      notes,
    };
  },
};

interface ShapeResult {
  live: Record<Subscription, number>;
  replay: Record<Subscription, number>;
  copyIn: number;
  copyOut: number;
  cpu: string[];
}

async function runShape(
  shape: Shape,
  databaseUrl: string,
  log: (line: string) => void,
): Promise<ShapeResult> {
  const shipped = await startShipped(shape, databaseUrl);
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  try {
    const deployment = await printerDeployment(shipped.sdk, {
      LOG_LINES: String(LINES),
      LOG_STAMP: '1',
      LOG_DELAY_MS: '300',
    });
    const live = {} as Record<Subscription, number>;
    const replay = {} as Record<Subscription, number>;
    const cpu: string[] = [];
    const workloads = {} as Record<Subscription, string>;
    for (const subscription of ['workloadLogBatches', 'workloadLogs'] as const) {
      const id = await createWorkload(shipped.sdk, deployment);
      workloads[subscription] = id;
      const usage = await cpuUsage(shipped, pool);
      let firstAt = 0;
      let lastAt = 0;
      let stopping: Promise<void> | undefined;
      await followWith(subscription, shipped.url, shipped.token, id, (_seq, message) => {
        if (firstAt === 0 && message.startsWith('line 1 t=')) firstAt = Number(message.slice(9));
        if (message === `line ${LINES}`) {
          lastAt = now();
          stopping = stopWorkload(shipped.sdk, id);
        }
      });
      await stopping;
      live[subscription] = LINES / ((lastAt - firstAt) / 1000);
      cpu.push(`live ${subscription}: ${await usage()}`);
      log(`${shape} ${subscription}: ${fmt(live[subscription])} lines/s`);
    }
    for (const subscription of ['workloadLogBatches', 'workloadLogs'] as const) {
      const usage = await cpuUsage(shipped, pool);
      let count = 0;
      const started = now();
      await followWith(subscription, shipped.url, shipped.token, workloads.workloadLogBatches, () => {
        count++;
      });
      replay[subscription] = count / ((now() - started) / 1000);
      cpu.push(`replay ${subscription}: ${await usage()}`);
      log(`${shape} replay ${subscription}: ${count} entries, ${fmt(replay[subscription])} lines/s`);
    }
    const { copyIn, copyOut } = await psqlCopy(databaseUrl, pool, workloads.workloadLogBatches);
    return { live, replay, copyIn, copyOut, cpu };
  } finally {
    await pool.end();
    await shipped.stop();
  }
}

/**
 * CPU seconds from now to the call of the function returned: the API
 * process (and npm start's runner thread in it), the runner process of the
 * split configuration, the database's backends, this client.
 */
async function cpuUsage(shipped: Shipped, pool: pg.Pool): Promise<() => Promise<string>> {
  // Per backend: one that ends between the samples (a pool's idle connection) is left out of both.
  const backends = async () => {
    const { rows } = await pool.query(
      `select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`,
    );
    const byPid = new Map<number, number>();
    for (const { pid } of rows) {
      const seconds = await cpuSeconds(pid).catch(() => undefined);
      if (seconds !== undefined) byPid.set(pid, seconds);
    }
    return byPid;
  };
  const sample = async () => ({
    threads: await cpuByThread(shipped.apiPid),
    runner: shipped.runnerPid ? await cpuSeconds(shipped.runnerPid) : 0,
    pg: await backends(),
    client: process.cpuUsage(),
    at: now(),
  });
  const before = await sample();
  return async () => {
    const after = await sample();
    const thread = (name: string) => (after.threads.get(name) ?? 0) - (before.threads.get(name) ?? 0);
    const total = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
    const runnerThread = thread('agentforge-run');
    let pgSeconds = 0;
    for (const [pid, seconds] of after.pg) pgSeconds += seconds - (before.pg.get(pid) ?? 0);
    const api = total(after.threads) - total(before.threads) - runnerThread;
    const client =
      (after.client.user + after.client.system - before.client.user - before.client.system) / 1e6;
    const parts = [
      `${((after.at - before.at) / 1000).toFixed(1)} s wall`,
      `API process ${api.toFixed(2)} s CPU`,
      runnerThread > 0 ? `its runner thread ${runnerThread.toFixed(2)} s` : '',
      shipped.runnerPid ? `runner process ${(after.runner - before.runner).toFixed(2)} s` : '',
      `PostgreSQL backends of the database ${pgSeconds.toFixed(2)} s`,
      `graphql-ws client ${client.toFixed(2)} s`,
    ];
    return parts.filter(Boolean).join(', ');
  };
}

const COPY_ROUNDS = 3;

/**
 * The baseline: the rows of `workloadId` exported with psql's \copy (timed as
 * well, for reference), then copied into the table again for another
 * workload with psql's \copy from the file, timed from psql's start to its
 * exit; the median of COPY_ROUNDS such copies.
 */
async function psqlCopy(databaseUrl: string, pool: pg.Pool, workloadId: string) {
  const dir = await mkdtemp(join(tmpdir(), 'agentforge-bench-copy-'));
  try {
    const file = join(dir, 'rows.tsv');
    const target = await runningWorkload(pool);
    const exportStarted = now();
    await psql(
      databaseUrl,
      `\\copy (select '${target}'::uuid, seq, ts, stage, level, message from workload_log where workload_id = '${workloadId}' order by seq) to '${file}'`,
    );
    const exportMs = now() - exportStarted;
    const rows = Number(
      (await pool.query('select count(*) as n from workload_log where workload_id = $1', [workloadId]))
        .rows[0].n,
    );
    // The median of three: one COPY of this size swung between 137,000 and 252,000 lines/s from run to
    // run on the same machine (a checkpoint, autovacuum), and every ratio of B1 is to this figure.
    const copyMs: number[] = [];
    for (let round = 0; round < COPY_ROUNDS; round++) {
      if (round > 0) {
        const next = await runningWorkload(pool);
        await psql(
          databaseUrl,
          `\\copy (select '${next}'::uuid, seq, ts, stage, level, message from workload_log where workload_id = '${workloadId}' order by seq) to '${file}'`,
        );
      }
      const started = now();
      await psql(
        databaseUrl,
        `\\copy workload_log (workload_id, seq, ts, stage, level, message) from '${file}'`,
      );
      copyMs.push(now() - started);
    }
    copyMs.sort((a, b) => a - b);
    const median = copyMs[Math.floor(COPY_ROUNDS / 2)] as number;
    return { copyIn: rows / (median / 1000), copyOut: rows / (exportMs / 1000) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function psql(databaseUrl: string, command: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('psql', [databaseUrl, '-v', 'ON_ERROR_STOP=1', '-q', '-c', command], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`psql exited with ${code}`))));
  });
}

const fmt = (value: number) => Math.round(value).toLocaleString('en-US');

export default bench;
