import { spawn } from 'node:child_process';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { loadConfig } from '../core/config.ts';
import { openDatabase } from '../core/db/database.ts';
import { freeTcpPort } from '../core/db/embedded.ts';
import { parseWorkloadUpdate, WORKLOAD_UPDATED_CHANNEL } from '../core/sql/workload-row.ts';
import { acceptsTcp } from '../runner/readiness.ts';
import { Runner } from '../runner/runner.ts';
import { baseServiceEnv } from '../runner/service-env.ts';
import {
  CreateDeploymentDocument,
  CreateProjectDocument,
  CreateWorkloadDocument,
  createSdk,
  StopWorkloadDocument,
} from '../sdk/index.ts';
import { createNotifyHub } from '../src/live/notify-hub.ts';
import { buildApp } from '../src/server.ts';
import type { Benchmark } from './harness.ts';
import { API_TOKEN } from './live-logs.ts';
import { median } from './stats.ts';

const RUNS = 21;
const GOAL_EXTRA_MS = 100;
const FIXTURE = fileURLToPath(new URL('../test/fixtures/hello/', import.meta.url));

/** Time from spawning `node index.js` until its port accepts a TCP connection (polled every ms). */
async function bareStart(dir: string): Promise<number> {
  const port = await freeTcpPort();
  const started = performance.now();
  const child = spawn(process.execPath, ['index.js'], {
    cwd: dir,
    env: { PORT: String(port), HOST: '127.0.0.1' },
    stdio: 'ignore',
  });
  try {
    for (;;) {
      const ok = await acceptsTcp('127.0.0.1', port);
      if (ok) return performance.now() - started;
      await sleep(1);
    }
  } finally {
    child.kill('SIGKILL');
  }
}

const bench: Benchmark = {
  id: 'B3',
  title: 'createWorkload → running for a service without dependencies, next to a bare node start',
  async run(ctx) {
    const url = await ctx.createDatabase();
    const db = await openDatabase(url, { migrate: false });
    const from = 20000 + Math.floor(Math.random() * 99) * 100;
    const config = loadConfig({ HOST: '127.0.0.1', PORT: '0', WORKLOAD_PORT_RANGE: `${from}-${from + 99}` });
    const live = createNotifyHub(db);
    const app = buildApp({ config, apiToken: API_TOKEN, db, live });
    const { url: apiUrl } = await app.start();
    // The runner as shipped: every command in the sandbox (bubblewrap + cgroup + working copy).
    let runner = new Runner({ config, databaseUrl: url, baseEnv: baseServiceEnv(process.env) });
    await runner.start();
    const sdk = createSdk({ url: apiUrl, token: API_TOKEN });
    const root = await mkdtemp(join(tmpdir(), 'agentforge-b3-'));
    const listener = new pg.Client({ connectionString: url });
    await listener.connect();
    try {
      await cp(FIXTURE, join(root, 'hello'), { recursive: true });
      const { createProject } = await sdk.request(CreateProjectDocument, {
        input: { name: 'b3', rootPath: root },
      });
      const { createDeployment } = await sdk.request(CreateDeploymentDocument, {
        input: { projectId: createProject.id, serviceName: 'hello', servicePath: 'hello', executor: 'local' },
      });
      // Running is noticed the way a client would: on the workload's NOTIFY, then a re-read.
      const waiters = new Map<string, () => void>();
      listener.on('notification', (message) => {
        const { id } = parseWorkloadUpdate(message.payload ?? '');
        const done = waiters.get(id);
        if (!done) return;
        db.pool.query(`select stage from workload where id = $1`, [id]).then((r) => {
          const stage = r.rows[0]?.stage;
          if (stage === 'running' || stage === 'failed' || stage === 'stopped') done();
        });
      });
      await listener.query(`listen "${WORKLOAD_UPDATED_CHANNEL}"`);

      /** One round: createWorkload until running, then stop (not counted). */
      const round = async (): Promise<number> => {
        const started = performance.now();
        let settled!: () => void;
        const reached = new Promise<void>((resolve) => {
          settled = resolve;
        });
        const { createWorkload } = await sdk.request(CreateWorkloadDocument, {
          input: { deploymentId: createDeployment.id },
        });
        waiters.set(createWorkload.id, settled);
        const stage = (await db.pool.query(`select stage from workload where id = $1`, [createWorkload.id]))
          .rows[0].stage;
        if (stage !== 'running') await reached;
        const ms = performance.now() - started;
        waiters.delete(createWorkload.id);
        const { stopWorkload } = await sdk.request(StopWorkloadDocument, { id: createWorkload.id });
        if (stopWorkload.failedStage)
          throw new Error(`Workload failed in ${stopWorkload.failedStage}: ${stopWorkload.error}`);
        return ms;
      };

      const ours: number[] = [];
      const bare: number[] = [];
      // One warm-up of each, not counted.
      for (let i = 0; i <= RUNS; i++) {
        const bareMs = await bareStart(join(root, 'hello'));
        const oursMs = await round();
        if (i === 0) continue;
        ours.push(oursMs);
        bare.push(bareMs);
      }
      // The same, unconfined (AGENTFORGE_LOCAL_SANDBOX=off: no bubblewrap; the
      // working copy and cgroup stay), to show what the sandbox itself costs.
      await runner.stop();
      runner = new Runner({
        config: { ...config, localSandbox: 'off' },
        databaseUrl: url,
        baseEnv: baseServiceEnv(process.env),
      });
      await runner.start();
      const unconfined: number[] = [];
      for (let i = 0; i <= RUNS; i++) {
        const ms = await round();
        if (i > 0) unconfined.push(ms);
      }
      const oursMedian = median(ours);
      const bareMedian = median(bare);
      ctx.log(`ours: ${ours.map((v) => v.toFixed(0)).join(' ')}`);
      ctx.log(`bare: ${bare.map((v) => v.toFixed(0)).join(' ')}`);
      ctx.log(`unconfined: ${unconfined.map((v) => v.toFixed(0)).join(' ')}`);
      const unconfinedMedian = median(unconfined);
      return {
        measurements: [
          { name: 'createWorkload→running median', value: oursMedian, unit: 'ms' },
          { name: 'added', value: oursMedian - bareMedian, unit: 'ms' },
          { name: 'unconfined (sandbox off) median', value: unconfinedMedian, unit: 'ms' },
          { name: 'sandbox cost (ours − unconfined)', value: oursMedian - unconfinedMedian, unit: 'ms' },
        ],
        baseline: { name: 'bare node index.js → TCP accept median', value: bareMedian, unit: 'ms' },
        ratio: oursMedian / bareMedian,
        goal: `≤ bare + ${GOAL_EXTRA_MS} ms`,
        met: oursMedian <= bareMedian + GOAL_EXTRA_MS,
        notes: [
          `${RUNS} runs each after one warm-up; install skipped (no dependencies), readiness = TCP accept`,
          'ours = the shipped runner (bubblewrap sandbox, cgroup, working copy); unconfined = AGENTFORGE_LOCAL_SANDBOX=off, measured after it in the same run',
        ],
      };
    } finally {
      await listener.end();
      await runner.stop();
      await sdk.close();
      await app.stop();
      await live.close();
      await db.close();
      await rm(root, { recursive: true, force: true });
    }
  },
};

export default bench;
