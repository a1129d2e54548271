import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkloadRow } from '../../core/sql/create-workload.ts';
import { RUNNER_HEARTBEAT_MS, RUNNER_LEASE_MS } from '../../core/sql/runners.ts';
import { getWorkloadRow } from '../../core/sql/transition.ts';
import type { WorkloadRow } from '../../core/sql/workload-row.ts';
import { isTerminal } from '../../core/stages.ts';
import { createSdk, StopWorkloadDocument } from '../../sdk/index.ts';
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
 * A 40 s database outage (the test's own PostgreSQL stopped, then started
 * again on the same port) under a runner process with two services: one
 * printing numbered lines throughout, one killed during the outage.
 */
const OUTAGE_MS = 40_000;

let stack: FaultStack;
let runner: RunnerProcess;
const outcome: {
  exited?: WorkloadRow;
  exitRecordedAfterRecoveryMs?: number;
  printerAfterRecovery?: WorkloadRow;
  stopped?: { stage: string };
  printed?: number;
  stored?: { level: string; message: string }[];
} = {};

beforeAll(async () => {
  stack = await startFaultStack(['counted-printer', 'hello']);
  const { pg, db, root } = stack;
  runner = spawnRunner({ DATABASE_URL: pg.url, WORKLOAD_PORT_RANGE: portBlock() });

  const printerDeployment = await seedDeployment(db, {
    rootPath: root,
    servicePath: 'counted-printer',
    env: [{ name: 'LOG_RATE', value: '200' }],
  });
  const exitingDeployment = await seedDeployment(db, { rootPath: root, servicePath: 'hello' });
  const printer = (await createWorkloadRow(db.pool, printerDeployment, 'counted-printer')).id;
  const exiting = (await createWorkloadRow(db.pool, exitingDeployment, 'hello')).id;
  const running = (w: WorkloadRow) => w.stage === 'running' || isTerminal(w.stage);
  const printerRow = await waitForRow(db, printer, running);
  const exitingRow = await waitForRow(db, exiting, running);
  expect([printerRow.stage, exitingRow.stage]).toEqual(['running', 'running']);
  await sleep(2_000);

  await pg.stop();
  await sleep(OUTAGE_MS / 4);
  // The second service exits while nothing can be recorded.
  killGroup(exitingRow.pid);
  await sleep((OUTAGE_MS * 3) / 4);
  await pg.start();
  const recoveredAt = Date.now();

  outcome.exited = await waitForRow(db, exiting, (w) => isTerminal(w.stage), 120_000);
  outcome.exitRecordedAfterRecoveryMs = Date.now() - recoveredAt;
  console.info(
    `outage: the exit during it was recorded ${outcome.exitRecordedAfterRecoveryMs} ms after recovery`,
  );
  // Long enough for every sweeper to have judged the leases again.
  await sleep(RUNNER_LEASE_MS + 3 * RUNNER_HEARTBEAT_MS);
  outcome.printerAfterRecovery = (await getWorkloadRow(db.pool, printer)) ?? undefined;
  outcome.printed = Number(await (await fetch(`http://127.0.0.1:${printerRow.port}/printed`)).text());
  const sdk = createSdk({ url: stack.url, token: stack.token });
  try {
    outcome.stopped = (await sdk.request(StopWorkloadDocument, { id: printer })).stopWorkload;
  } finally {
    await sdk.close();
  }
  outcome.stored = (
    await db.pool.query(`select level, message from workload_log where workload_id = $1 order by seq`, [
      printer,
    ])
  ).rows;
}, 400_000);

afterAll(async () => {
  await runner?.stop();
  await stack?.close();
}, 120_000);

describe(`a ${OUTAGE_MS / 1000} s database outage`, () => {
  it('records the end of a service that exited during it, once the database is back', () => {
    expect(outcome.exited).toMatchObject({
      stage: 'failed',
      failedStage: 'running',
      error: 'Service killed by signal SIGKILL',
    });
  });

  it('makes the runner stop claiming while it cannot reach the database, and claim again after', () => {
    const output = runner.output.join('');
    const paused = output.indexOf('no claims until the database answers');
    expect(paused).toBeGreaterThan(-1);
    expect(output.indexOf('claiming resumes', paused)).toBeGreaterThan(paused);
  });

  it('does not take a runner that was only cut off for gone: its service keeps running, then stops on request', () => {
    expect(outcome.printerAfterRecovery?.stage).toBe('running');
    expect(outcome.stopped?.stage).toBe('stopped');
  });

  it('loses no printed line silently: each is stored, or counted by a warn entry', () => {
    const printed = outcome.printed ?? 0;
    expect(printed).toBeGreaterThan(0);
    const stored = new Set<number>();
    let counted = 0;
    for (const { level, message } of outcome.stored ?? []) {
      const line = /^line (\d+)$/.exec(message);
      if (line) stored.add(Number(line[1]));
      else if (level === 'warn') counted += Number(/(\d+)/.exec(message)?.[1] ?? 0);
    }
    let missing = 0;
    for (let n = 1; n <= printed; n++) if (!stored.has(n)) missing++;
    console.info(
      `outage: ${printed} lines printed, ${missing} not stored, ${counted} counted in warn entries`,
    );
    expect(
      missing,
      `${printed} printed, ${missing} not stored, ${counted} counted in warn entries`,
    ).toBeLessThanOrEqual(counted);
  });
});
