import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../../core/config.ts';
import { createPgListener, LISTENER_APPLICATION_NAME } from '../../core/listen/pg-listener.ts';
import { createWorkloadRow } from '../../core/sql/create-workload.ts';
import { getWorkloadRow, transitionWorkload } from '../../core/sql/transition.ts';
import { RUNNER_LISTENER_APPLICATION_NAME, Runner } from '../../runner/runner.ts';
import { baseServiceEnv } from '../../runner/service-env.ts';
import { WorkloadUpdatedDocument } from '../../sdk/index.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { seedDeployment } from '../support/seed.ts';
import { startTcpProxy } from '../support/tcp-proxy.ts';

let db: TestDatabase;
/** A connection of the test's own, opened before connections are refused. */
let own: pg.Client;
/** On the server's admin database: a database cannot refuse connections from inside itself. */
let admin: pg.Client;
beforeAll(async () => {
  db = await createTestDatabase();
  own = new pg.Client({ connectionString: db.url });
  await own.connect();
  admin = new pg.Client({ connectionString: inject('adminUrl') });
  await admin.connect();
});
afterAll(async () => {
  await own?.end();
  await admin?.end();
  await db?.drop();
});

/** Bounded wait for a condition (the bound only keeps a broken run from hanging). */
async function until(check: () => boolean | Promise<boolean>, boundMs = 20_000): Promise<void> {
  const deadline = Date.now() + boundMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Condition not met within ${boundMs} ms`);
    await sleep(25);
  }
}

const backendsOf = async (applicationName: string) =>
  (
    await own.query(
      `select pid from pg_stat_activity where datname = current_database() and application_name = $1`,
      [applicationName],
    )
  ).rows.map((r) => r.pid as number);

/**
 * Kills the LISTEN backend named `applicationName` while the database
 * refuses new connections, runs `meanwhile` (its NOTIFYs reach nobody), then
 * lets connections in again.
 */
async function killListenerDuring(
  applicationName: string,
  meanwhile: () => Promise<void>,
): Promise<number[]> {
  const before = await backendsOf(applicationName);
  expect(before).toHaveLength(1);
  await admin.query(`alter database "${db.name}" with allow_connections false`);
  try {
    await own.query(`select pg_terminate_backend(pid) from pg_stat_activity where pid = any($1)`, [before]);
    await meanwhile();
    // Several reconnect attempts fail meanwhile.
    await sleep(400);
  } finally {
    await admin.query(`alter database "${db.name}" with allow_connections true`);
  }
  return before;
}

describe('the LISTEN connection (core/listen)', () => {
  it('keeps alive: a connection that stops answering without closing is found and made anew', async () => {
    const proxy = await startTcpProxy({ host: '127.0.0.1', port: Number(new URL(db.url).port || 5432) });
    const received: string[] = [];
    let reconnects = 0;
    const listener = createPgListener({
      url: proxy.url(db.url),
      channels: ['keepalive_test'],
      applicationName: 'keepalive-test',
      keepAliveMs: 200,
      keepAliveTimeoutMs: 300,
      onNotification: (_channel, payload) => received.push(payload),
      onReconnect: () => reconnects++,
    });
    try {
      await listener.ready;
      proxy.freezeOpen();
      await until(() => reconnects === 1 && listener.connected);
      await own.query(`select pg_notify('keepalive_test', 'after')`);
      await until(() => received.includes('after'));
    } finally {
      await listener.close();
      await proxy.close();
    }
  });
});

describe('a killed LISTEN backend: reconnect and catch-up, nothing missed', () => {
  it('runner: a workload created while its LISTEN connection was down is claimed (no claim poll)', async () => {
    const deploymentId = await seedDeployment(db, { servicePath: 'does-not-exist' });
    const runner = new Runner({
      config: loadConfig({ HOST: '127.0.0.1' }),
      databaseUrl: db.url,
      baseEnv: baseServiceEnv(process.env),
      // No poll to fall back on: only the reconnect's catch-up can find the workload.
      pollMs: 3_600_000,
    });
    await runner.start();
    try {
      let id = '';
      const before = await killListenerDuring(RUNNER_LISTENER_APPLICATION_NAME, async () => {
        id = (await createWorkloadRow(own, deploymentId, 'does-not-exist')).id;
      });
      await until(async () => (await getWorkloadRow(own, id))?.stage !== 'pending');
      const after = await backendsOf(RUNNER_LISTENER_APPLICATION_NAME);
      expect(after).toHaveLength(1);
      expect(before).not.toContain(after[0]);
    } finally {
      await runner.stop();
    }
  });

  it('API: a stage change committed while its LISTEN connection was down reaches workloadUpdated', async () => {
    const app: TestApp = await startTestApp({ AGENTFORGE_RUNNER: 'off' }, { db });
    try {
      const deploymentId = await seedDeployment(db);
      const { id } = await createWorkloadRow(own, deploymentId, 'svc');
      const stages: string[] = [];
      const done = app.sdk.subscribe(WorkloadUpdatedDocument, { workloadId: id }, (r) =>
        stages.push(r.workloadUpdated.stage),
      );
      await until(() => stages.length === 1);
      await killListenerDuring(LISTENER_APPLICATION_NAME, async () => {
        await transitionWorkload(own, id, 'pending', 'validate');
      });
      // Its NOTIFY went to nobody: the hub's re-read after reconnecting brings it.
      await until(() => stages.length === 2);
      await transitionWorkload(own, id, 'validate', 'failed', {
        error: 'x',
        failedStage: 'validate',
        failureReason: 'validate',
      });
      await done;
      expect(stages).toEqual(['pending', 'validate', 'failed']);
    } finally {
      await app.close();
    }
  });
});
