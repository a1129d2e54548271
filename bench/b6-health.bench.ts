import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { loadConfig } from '../core/config.ts';
import { createWorkloadRow } from '../core/sql/create-workload.ts';
import type { ServiceExecutor, ServiceExit } from '../runner/executors/types.ts';
import { Runner } from '../runner/runner.ts';
import { baseServiceEnv } from '../runner/service-env.ts';
import type { Benchmark } from './harness.ts';
import { median } from './stats.ts';

const WORKLOADS = 200;
const INTERVAL_MS = 1_000;
const WINDOW_MS = 60_000;
const FAILING = 20;
const THRESHOLD = 3;
const FIXTURE = fileURLToPath(new URL('../test/fixtures/hello/', import.meta.url));
const TARGET = fileURLToPath(new URL('./health-target.mjs', import.meta.url));

/**
 * A `local` executor whose services are all one process (health-target.mjs):
 * a workload is real in the database and in the runner (claimed, deployed,
 * supervised, health-checked), but costs no process of its own, so 200 of
 * them fit on a small machine and the runner's CPU is the runner's.
 */
function stubExecutor(target: { host: string; port: number }): ServiceExecutor {
  return {
    name: 'local',
    async build() {},
    async start() {
      let exit!: (e: ServiceExit) => void;
      const exited = new Promise<ServiceExit>((resolve) => {
        exit = resolve;
      });
      return {
        readyAt: target,
        exited,
        async stop() {
          exit({ code: 0, signal: null });
          return exited;
        },
      };
    },
  };
}

async function seedDeployment(
  pool: pg.Pool,
  projectId: string,
  healthCheckPath: string,
  intervalMs: number,
): Promise<string> {
  const id = randomUUID();
  await pool.query(
    `insert into deployment (id, project_id, service_name, service_path, executor, health_check_path, env,
                             health_check_interval_ms, health_check_timeout_ms, health_check_failure_threshold,
                             created_at, updated_at)
     values ($1, $2, 'hello', 'hello', 'local', $3, '[]', $4, 500, $5, now(), now())`,
    [id, projectId, healthCheckPath, intervalMs, THRESHOLD],
  );
  return id;
}

async function waitUntil(pool: pg.Pool, ids: string[], stage: string, boundMs: number): Promise<void> {
  const deadline = Date.now() + boundMs;
  for (;;) {
    const { rows } = await pool.query(
      `select count(*) filter (where stage = $2)::int as n, count(*) filter (where stage = 'failed')::int as failed
         from workload where id = any($1)`,
      [ids, stage],
    );
    if (stage !== 'failed' && rows[0].failed > 0) throw new Error(`${rows[0].failed} workloads failed`);
    if (rows[0].n >= ids.length) return;
    if (Date.now() > deadline) throw new Error(`Only ${rows[0].n}/${ids.length} workloads ${stage}`);
    await sleep(500);
  }
}

/** The runner process's CPU over the window, in percent of one core. */
async function cpuPercent(windowMs: number): Promise<number> {
  const before = process.cpuUsage();
  const started = performance.now();
  await sleep(windowMs);
  const used = process.cpuUsage(before);
  return ((used.user + used.system) / 1000 / (performance.now() - started)) * 100;
}

async function stopAll(pool: pg.Pool, ids: string[]): Promise<void> {
  await pool.query(`update workload set stop_requested = true where id = any($1) and stage = 'running'`, [
    ids,
  ]);
}

const bench: Benchmark = {
  id: 'B6',
  title: `health checks: runner CPU with ${WORKLOADS} running workloads probed every ${INTERVAL_MS} ms, and the time to fail`,
  async run(ctx) {
    const url = await ctx.createDatabase();
    const pool = new pg.Pool({ connectionString: url, max: 4 });
    const root = await mkdtemp(join(tmpdir(), 'agentforge-b6-'));
    const server: ChildProcess = spawn(process.execPath, [TARGET], { stdio: ['ignore', 'pipe', 'inherit'] });
    let runner: Runner | undefined;
    try {
      await cp(FIXTURE, join(root, 'hello'), { recursive: true });
      const [line] = (await once(server.stdout!, 'data')) as [Buffer];
      const target = { host: '127.0.0.1', port: Number(line.toString().trim()) };
      const projectId = randomUUID();
      await pool.query(
        `insert into project (id, name, root_path, created_at, updated_at) values ($1, 'b6', $2, now(), now())`,
        [projectId, root],
      );
      const from = 20000 + Math.floor(Math.random() * 90) * 100;
      const config = loadConfig({
        HOST: '127.0.0.1',
        WORKLOAD_PORT_RANGE: `${from}-${from + 999}`,
        RUNNER_CONCURRENCY: '32',
      });
      runner = new Runner({
        config,
        databaseUrl: url,
        baseEnv: baseServiceEnv(process.env),
        executors: { local: stubExecutor(target) },
      });
      await runner.start();

      const phase = async (intervalMs: number) => {
        const deploymentId = await seedDeployment(pool, projectId, '/ok', intervalMs);
        const ids: string[] = [];
        for (let i = 0; i < WORKLOADS; i++)
          ids.push((await createWorkloadRow(pool, deploymentId, 'hello')).id);
        await waitUntil(pool, ids, 'running', 300_000);
        await sleep(2_000); // settle: the last claims' work is done
        const cpu = await cpuPercent(WINDOW_MS);
        const { rows } = await pool.query(
          `select count(*)::int as n from workload where id = any($1) and stage = 'running'`,
          [ids],
        );
        if (rows[0].n !== WORKLOADS)
          throw new Error(`${WORKLOADS - rows[0].n} workloads ended during the window`);
        await stopAll(pool, ids);
        await waitUntil(pool, ids, 'stopped', 120_000);
        return cpu;
      };
      const off = await phase(0);
      ctx.log(`checks off: runner ${off.toFixed(2)} % CPU`);
      const on = await phase(INTERVAL_MS);
      ctx.log(`checks every ${INTERVAL_MS} ms: runner ${on.toFixed(2)} % CPU`);

      // Time to fail: FAILING workloads whose health path turns 500 at one instant.
      const flaky = await seedDeployment(pool, projectId, '/flaky', INTERVAL_MS);
      const ids: string[] = [];
      for (let i = 0; i < FAILING; i++) ids.push((await createWorkloadRow(pool, flaky, 'hello')).id);
      await waitUntil(pool, ids, 'running', 120_000);
      await sleep(1_500);
      const brokeAt = Number(
        await (await fetch(`http://127.0.0.1:${target.port}/break`, { method: 'POST' })).text(),
      );
      await waitUntil(pool, ids, 'failed', 60_000);
      const { rows } = await pool.query(
        `select w.id, extract(epoch from w.finished_at) * 1000 as finished,
                (select extract(epoch from min(l.ts)) * 1000 from workload_log l
                  where l.workload_id = w.id and l.message like 'Health check failed (1/%') as first
           from workload w where w.id = any($1)`,
        [ids],
      );
      const sinceTurn = rows.map((r) => Number(r.finished) - brokeAt);
      const sinceFirst = rows.map((r) => Number(r.finished) - Number(r.first));
      const bound = INTERVAL_MS * THRESHOLD + INTERVAL_MS;
      ctx.log(`failed after the turn (ms): ${sinceTurn.map((v) => v.toFixed(0)).join(' ')}`);
      ctx.log(`failed after the first failing probe (ms): ${sinceFirst.map((v) => v.toFixed(0)).join(' ')}`);
      const worstFirst = Math.max(...sinceFirst);
      return {
        measurements: [
          { name: `runner CPU, checks every ${INTERVAL_MS} ms`, value: on, unit: '%' },
          { name: 'added by the checks', value: on - off, unit: '% of a core' },
          { name: 'failed after the first failing probe, median', value: median(sinceFirst), unit: 'ms' },
          { name: 'failed after the first failing probe, max', value: worstFirst, unit: 'ms' },
          { name: 'failed after the service turned, max', value: Math.max(...sinceTurn), unit: 'ms' },
        ],
        baseline: { name: 'runner CPU, checks off (interval 0)', value: off, unit: '%' },
        ratio: on / off,
        goal: `time to fail ≤ interval × threshold + one interval (${bound} ms)`,
        met: Math.max(...sinceTurn) <= bound,
        notes: [
          `${WORKLOADS} running workloads per phase, HTTP GET /ok, timeout 500 ms; CPU of the runner's process over ${WINDOW_MS / 1000} s (process.cpuUsage)`,
          'services are one stub process outside the runner (health-target.mjs), so only the runner is measured',
          `${FAILING} workloads, threshold ${THRESHOLD}: the service turns 500 at once for all of them`,
        ],
      };
    } finally {
      await runner?.stop();
      server.kill();
      await pool.end();
      await rm(root, { recursive: true, force: true });
    }
  },
};

export default bench;
