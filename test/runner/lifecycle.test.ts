import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acceptsTcp } from '../../runner/readiness.ts';
import { RunnersDocument, StopWorkloadDocument } from '../../sdk/index.ts';
import {
  descendantsOf,
  gone,
  type Harness,
  isAlive,
  logsOf,
  portBlock,
  startHarness,
  terminal,
  waitFor,
} from './harness.ts';

let h: Harness;

beforeAll(async () => {
  h = await startHarness(
    [
      'hello',
      'crash',
      'forking',
      'exit-early',
      'never-listens',
      'with-dependency',
      'build-script',
      'build-fail',
    ],
    { WORKLOAD_PORT_RANGE: portBlock(), HEALTHCHECK_TIMEOUT_MS: '1500', STOP_TIMEOUT_MS: '3000' },
  );
  await h.startRunner();
});
afterAll(() => h?.close());

describe('a workload from pending to running and back', () => {
  it('runs the hello service: every stage in order in the logs, the URL answers, stop frees port and process', async () => {
    const deploymentId = await h.deploy('hello', {
      healthCheckPath: '/health',
      env: [{ name: 'GREETING', value: 'the deployment env' }],
    });
    const created = await h.createWorkload(deploymentId);
    const running = await waitFor(h.app, created.id, (w) => w.stage === 'running' || terminal(w));
    expect(running).toMatchObject({ stage: 'running', executor: 'local', runnerId: h.runners[0]!.id });
    expect(running.url).toBe(`http://127.0.0.1:${running.port}`);
    expect(running.pid).toBeGreaterThan(0);

    const response = await fetch(running.url!);
    expect(await response.text()).toBe('hello from the deployment env\n');

    const logs = await logsOf(h.app, created.id);
    const messages = logs.map((l) => l.message);
    const order = [
      'Checking service at hello',
      '✓ package.json found',
      'Executor: local (set on the deployment)',
      'No dependencies in package.json: skipping install',
      `Allocated port: ${running.port}`,
      'Waiting for health check (GET /health)...',
      '✓ Service healthy',
      `Service running on ${running.url}`,
    ].map((m) => messages.indexOf(m));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    // Stages never go backwards in the log, and seq has no gaps.
    const rank = ['validate', 'build', 'deploy', 'running'];
    const ranks = logs.map((l) => rank.indexOf(l.stage));
    expect([...ranks].sort((a, b) => a - b)).toEqual(ranks);
    expect(logs.map((l) => l.seq)).toEqual(logs.map((_l, i) => i + 1));
    expect(logs).toContainEqual(
      expect.objectContaining({ level: 'info', message: `hello listening on 127.0.0.1:${running.port}` }),
    );
    expect(logs).toContainEqual(expect.objectContaining({ level: 'warn', message: 'a line on stderr' }));

    const { runners } = await h.app.gql(RunnersDocument, {});
    expect(runners.find((r) => r.id === h.runners[0]!.id)).toMatchObject({ alive: true, concurrency: 4 });

    const { stopWorkload } = await h.app.gql(StopWorkloadDocument, { id: created.id });
    expect(stopWorkload).toMatchObject({ stage: 'stopped', error: null, stopRequested: true });
    expect(stopWorkload.finishedAt).not.toBeNull();
    expect(isAlive(running.pid!)).toBe(false);
    expect(await acceptsTcp('127.0.0.1', running.port!)).toBe(false);
    const after = (await logsOf(h.app, created.id)).map((l) => l.message);
    expect(after).toContain('Stopping the service (SIGTERM)...');
    expect(after.at(-1)).toMatch(/^✓ Service stopped/);

    // The port is free in the database too: a new workload of the same service may take it.
    const { rows } = await h.app.db.pool.query(
      `select count(*)::int as n from workload where port = $1 and stage not in ('stopped', 'failed')`,
      [running.port],
    );
    expect(rows[0].n).toBe(0);
  });

  it('stops a service that forked a child: both processes are gone', async () => {
    const created = await h.createWorkload(await h.deploy('forking'));
    const running = await waitFor(h.app, created.id, (w) => w.stage === 'running' || terminal(w));
    expect(running.stage).toBe('running');
    expect((await logsOf(h.app, created.id)).some((l) => l.message.startsWith('child pid '))).toBe(true);
    // The sandbox's first process, the service and its child, as this host numbers them.
    const below = descendantsOf(running.pid!);
    expect(below.length).toBeGreaterThanOrEqual(3);
    const { stopWorkload } = await h.app.gql(StopWorkloadDocument, { id: created.id });
    expect(stopWorkload.stage).toBe('stopped');
    expect(isAlive(running.pid!)).toBe(false);
    for (const pid of below) expect(await gone(pid)).toBe(true);
  });

  it('fails a service that crashes after it started: exit code, failed stage and error recorded', async () => {
    const created = await h.createWorkload(await h.deploy('crash'));
    const running = await waitFor(h.app, created.id, (w) => w.stage === 'running' || terminal(w));
    expect(running.stage).toBe('running');
    await fetch(`${running.url}/crash`).then((r) => r.text());
    const failed = await waitFor(h.app, created.id, terminal);
    expect(failed).toMatchObject({
      stage: 'failed',
      failedStage: 'running',
      exitCode: 3,
      error: 'Service crashed with exit code 3',
    });
    expect(failed.finishedAt).not.toBeNull();
    const logs = await logsOf(h.app, created.id);
    expect(logs.at(-1)).toMatchObject({
      stage: 'running',
      level: 'error',
      message: 'Service crashed with exit code 3',
    });
  });

  it('fails in deploy when the service exits before it is ready', async () => {
    const created = await h.createWorkload(await h.deploy('exit-early'));
    const failed = await waitFor(h.app, created.id, terminal);
    expect(failed).toMatchObject({
      stage: 'failed',
      failedStage: 'deploy',
      exitCode: 4,
      error: 'Service exited before it was ready (exit code 4)',
    });
    const logs = await logsOf(h.app, created.id);
    expect(logs).toContainEqual(
      expect.objectContaining({
        stage: 'deploy',
        level: 'warn',
        message: 'missing configuration: giving up',
      }),
    );
  });

  it('fails in deploy when the service never listens within HEALTHCHECK_TIMEOUT_MS, and kills it', async () => {
    const created = await h.createWorkload(await h.deploy('never-listens'));
    const failed = await waitFor(h.app, created.id, terminal);
    expect(failed).toMatchObject({ stage: 'failed', failedStage: 'deploy' });
    expect(failed.error).toBe(
      `Service was not ready within 1500 ms: nothing accepted connections on port ${failed.port}`,
    );
    expect(isAlive(failed.pid!)).toBe(false);
  });

  it('retries a health check that answers non-2xx until the timeout, then names the last answer', async () => {
    const created = await h.createWorkload(await h.deploy('hello', { healthCheckPath: '/not-ready' }));
    const failed = await waitFor(h.app, created.id, terminal);
    expect(failed).toMatchObject({
      stage: 'failed',
      failedStage: 'deploy',
      error: 'Service was not ready within 1500 ms: GET /not-ready last answered HTTP 503',
    });
    expect(isAlive(failed.pid!)).toBe(false);
  });

  it('installs a dependency from a local file: package (no network)', async () => {
    const created = await h.createWorkload(await h.deploy('with-dependency'));
    const running = await waitFor(h.app, created.id, (w) => w.stage === 'running' || terminal(w), 90_000);
    expect(running.stage).toBe('running');
    expect(await (await fetch(running.url!)).text()).toBe('greetings from a local package\n');
    const messages = (await logsOf(h.app, created.id)).map((l) => l.message);
    expect(messages).toContain('Installing dependencies (npm install)...');
    expect(messages).toContain('✓ Dependencies installed');
    await h.app.gql(StopWorkloadDocument, { id: created.id });
  });

  it('runs the build script before starting', async () => {
    const created = await h.createWorkload(await h.deploy('build-script'));
    const running = await waitFor(h.app, created.id, (w) => w.stage === 'running' || terminal(w));
    expect(running.stage).toBe('running');
    expect(await (await fetch(running.url!)).text()).toBe('built at build time\n');
    const logs = await logsOf(h.app, created.id);
    expect(logs).toContainEqual(
      expect.objectContaining({ stage: 'build', level: 'info', message: 'built dist/server.js' }),
    );
    await h.app.gql(StopWorkloadDocument, { id: created.id });
  });

  it('fails in build when the build script fails, with its output in the log', async () => {
    const created = await h.createWorkload(await h.deploy('build-fail'));
    const failed = await waitFor(h.app, created.id, terminal);
    expect(failed).toMatchObject({
      stage: 'failed',
      failedStage: 'build',
      error: 'npm run build failed with exit code 2',
      port: null,
      pid: null,
    });
    const logs = await logsOf(h.app, created.id);
    expect(logs).toContainEqual(
      expect.objectContaining({
        stage: 'build',
        level: 'warn',
        message: 'error TS2322: this build is meant to fail',
      }),
    );
    expect(logs.at(-1)).toMatchObject({ stage: 'build', level: 'error', message: failed.error });
  });
});
