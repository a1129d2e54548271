import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkloadRow } from '../../core/sql/create-workload.ts';
import { RUNNER_LEASE_MS } from '../../core/sql/runners.ts';
import { isTerminal, sqlStageList, TERMINAL_STAGES, type WorkloadStage } from '../../core/stages.ts';
import { portBlock } from '../runner/harness.ts';
import { seedDeployment } from '../support/seed.ts';
import {
  type FaultStack,
  killGroup,
  type RunnerProcess,
  spawnRunner,
  startFaultStack,
  waitForRow,
} from './support.ts';

/**
 * kill -9 of a runner process: nobody records anything for its workloads,
 * and its lease runs out. Whoever is alive (here the API, and in one case a
 * second runner too) must notice within 15 s and fail them with the reason.
 */
const NOTICED_WITHIN_MS = 15_000;

let stack: FaultStack;
/** A "Docker engine" that accepts and never answers: validate waits for its ping (2 s). */
let silentEngine: Server;
const silentSockets: Socket[] = [];
const runners: RunnerProcess[] = [];

beforeAll(async () => {
  stack = await startFaultStack(['docker-hello', 'slow-build', 'never-listens', 'hello']);
  silentEngine = createServer((socket) => silentSockets.push(socket));
  await new Promise<void>((resolve) => silentEngine.listen(0, '127.0.0.1', resolve));
}, 120_000);

afterAll(async () => {
  for (const runner of runners) await runner.stop();
  for (const socket of silentSockets) socket.destroy();
  silentEngine?.close();
  await stack?.close();
}, 120_000);

const cases: [WorkloadStage, string, 'auto' | 'local', Record<string, string>, boolean][] = [
  ['validate', 'docker-hello', 'auto', {}, false],
  ['build', 'slow-build', 'local', {}, false],
  ['deploy', 'never-listens', 'local', { HEALTHCHECK_TIMEOUT_MS: '120000' }, false],
  ['running', 'hello', 'local', {}, true],
];

describe('kill -9 of a runner', () => {
  it.each(cases)(
    'in %s: its workload ends failed within 15 s with "Runner <id> stopped responding", its port released',
    async (stage, servicePath, executor, env, secondRunner) => {
      const { pg, db, root } = stack;
      const runnerEnv = {
        DATABASE_URL: pg.url,
        WORKLOAD_PORT_RANGE: portBlock(),
        DOCKER_HOST: `tcp://127.0.0.1:${(silentEngine.address() as { port: number }).port}`,
        ...env,
      };
      const victim = spawnRunner(runnerEnv);
      runners.push(victim);
      const deploymentId = await seedDeployment(db, { rootPath: root, servicePath, executor });
      const { id } = await createWorkloadRow(db.pool, deploymentId, servicePath);
      const reached = await waitForRow(db, id, (w) => w.stage === stage || isTerminal(w.stage));
      expect(reached.stage).toBe(stage);
      // Another runner that is alive, for one case: the API or it may notice first.
      if (secondRunner) runners.push(spawnRunner({ ...runnerEnv, WORKLOAD_PORT_RANGE: portBlock() }));

      victim.kill9();
      const killedAt = Date.now();
      await victim.exited;
      const ended = await waitForRow(
        db,
        id,
        (w) => isTerminal(w.stage),
        NOTICED_WITHIN_MS + RUNNER_LEASE_MS * 3,
      );
      const noticedMs = Date.now() - killedAt;
      console.info(`kill -9 in ${stage}: the workload was failed ${noticedMs} ms after the kill`);
      const current = await waitForRow(db, id, () => true);
      killGroup(current.pid);

      expect(ended).toMatchObject({
        stage: 'failed',
        failedStage: stage,
        error: `Runner ${reached.runnerId} stopped responding`,
      });
      expect(noticedMs).toBeLessThan(NOTICED_WITHIN_MS);
      if (stage === 'deploy' || stage === 'running') {
        expect(current.port).not.toBeNull();
        // No live workload holds the port any more: the next one may be given it.
        const holders = await db.pool.query(
          `select count(*)::int as n from workload where port = $1 and stage not in ${sqlStageList(TERMINAL_STAGES)}`,
          [current.port],
        );
        expect(holders.rows[0].n).toBe(0);
      }
      const log = await db.pool.query(
        `select level, message from workload_log where workload_id = $1 order by seq desc limit 1`,
        [id],
      );
      expect(log.rows[0]).toEqual({
        level: 'error',
        message: `Runner ${reached.runnerId} stopped responding`,
      });
    },
    180_000,
  );
});
