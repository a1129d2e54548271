import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { claimWorkloads } from '../core/sql/claim.ts';
import { WORKLOAD_CREATED_CHANNEL } from '../core/sql/create-workload.ts';
import { registerRunner } from '../core/sql/runners.ts';
import { sqlStageList, TERMINAL_STAGES } from '../core/stages.ts';
import type { Benchmark } from './harness.ts';
import { insertDeployment } from './live-logs.ts';

const WORKLOADS = 1000;
const RUNNERS = 3;
const ROOT = fileURLToPath(new URL('../', import.meta.url));

/** A project and deployment whose service path does not exist: each workload is claimed, then fails validate at once. */
const seedDeployment = (db: pg.Client) => insertDeployment(db, 'b5-missing');

/** `count` pending workloads in one statement, and one wake-up for the runners (delivered at commit). */
async function queue(db: pg.Client, deploymentId: string, count: number): Promise<void> {
  await db.query(
    `with created as (
       insert into workload (id, deployment_id, service_path, stage, created_at, updated_at)
       select gen_random_uuid(), $1, 'b5-missing', 'pending', clock_timestamp(), now() from generate_series(1, $2)
       returning id
     )
     select pg_notify('${WORKLOAD_CREATED_CHANNEL}', (select id::text from created limit 1))`,
    [deploymentId, count],
  );
}

function spawnRunner(url: string, started: () => void): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'runner/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: url, HOST: '127.0.0.1', RUNNER_CONCURRENCY: '4' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let seen = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    if (seen.includes(' started (')) return;
    seen += chunk;
    if (seen.includes(' started (')) started();
  });
  return child;
}

const bench: Benchmark = {
  id: 'B5',
  title: `${WORKLOADS.toLocaleString('en-US')} queued workloads, ${RUNNERS} runner processes: each claimed exactly once, claim overhead per workload`,
  async run(ctx) {
    const url = await ctx.createDatabase();
    const db = new pg.Client({ connectionString: url });
    await db.connect();
    const children: ChildProcess[] = [];
    try {
      // Baseline: the bare claim statement from one client, batches of 4 (RUNNER_CONCURRENCY), until none is left.
      const baselineDeployment = await seedDeployment(db);
      const benchRunner = randomUUID();
      await registerRunner(db, benchRunner, process.pid, 4);
      await queue(db, baselineDeployment, WORKLOADS);
      const bareStart = performance.now();
      let bareClaimed = 0;
      for (;;) {
        const claimed = await claimWorkloads(db, benchRunner, 4);
        if (claimed.length === 0) break;
        bareClaimed += claimed.length;
      }
      const bareMs = performance.now() - bareStart;
      if (bareClaimed !== WORKLOADS) throw new Error(`The baseline claimed ${bareClaimed} workloads`);

      // Ours: three runner processes, started and idle, then 1,000 workloads queued at once.
      const deploymentId = await seedDeployment(db);
      let ready = 0;
      for (let i = 0; i < RUNNERS; i++) children.push(spawnRunner(url, () => ready++));
      const readyBy = Date.now() + 120_000;
      while (ready < RUNNERS) {
        if (Date.now() > readyBy) throw new Error('The runner processes did not start within 120 s');
        await sleep(50);
      }
      const start = performance.now();
      await queue(db, deploymentId, WORKLOADS);
      const claimedAll = async () =>
        (
          await db.query(
            `select count(*)::int as n from workload where deployment_id = $1 and runner_id is not null`,
            [deploymentId],
          )
        ).rows[0].n as number;
      const deadline = Date.now() + 600_000;
      for (;;) {
        const claimed = await claimedAll();
        if (claimed === WORKLOADS) break;
        if (Date.now() > deadline) throw new Error(`Only ${claimed} of ${WORKLOADS} claimed in 600 s`);
        await sleep(20);
      }
      const oursMs = performance.now() - start;
      // Every workload ends (fails validate), then its log shows how many times it was claimed.
      const endedBy = Date.now() + 300_000;
      for (;;) {
        const { rows } = await db.query(
          `select count(*)::int as n from workload where deployment_id = $1 and stage in ${sqlStageList(TERMINAL_STAGES)}`,
          [deploymentId],
        );
        if (rows[0].n === WORKLOADS) break;
        if (Date.now() > endedBy) throw new Error(`Only ${rows[0].n} of ${WORKLOADS} ended in 300 s`);
        await sleep(100);
      }
      const claims = await db.query(
        `select w.id, count(l.seq)::int as claims, count(distinct w.runner_id)::int as owners
           from workload w
           left join workload_log l on l.workload_id = w.id and l.message like 'Claimed by runner %'
          where w.deployment_id = $1
          group by w.id`,
        [deploymentId],
      );
      const once = claims.rows.filter((r) => r.claims === 1).length;
      const perRunner = await db.query(
        `select runner_id, count(*)::int as n from workload where deployment_id = $1 group by runner_id order by n desc`,
        [deploymentId],
      );
      const bare = bareMs / WORKLOADS;
      const ours = oursMs / WORKLOADS;
      return {
        measurements: [
          { name: 'claimed exactly once', value: once, unit: `of ${WORKLOADS}` },
          { name: 'per workload', value: ours, unit: 'ms' },
          { name: 'all claimed', value: oursMs, unit: 'ms' },
        ],
        baseline: { name: 'bare claim statement, one client, per workload', value: bare, unit: 'ms' },
        ratio: ours / bare,
        goal: `each of ${WORKLOADS.toLocaleString('en-US')} claimed exactly once by ${RUNNERS} runner processes; claim overhead per workload shown against the bare statement`,
        met: once === WORKLOADS,
        notes: [
          `claims per runner: ${perRunner.rows.map((r) => r.n).join(', ')}`,
          `ours: from queueing ${WORKLOADS} workloads to the last claim, ${RUNNERS} runners (RUNNER_CONCURRENCY 4) that also take each one through validate to failed; baseline: claimWorkloads(limit 4) in a loop on one connection`,
        ],
      };
    } finally {
      for (const child of children) child.kill('SIGTERM');
      await Promise.all(
        children.map((c) =>
          c.exitCode !== null ? undefined : new Promise((resolve) => c.once('exit', resolve)),
        ),
      );
      await db.end();
    }
  },
};

export default bench;
