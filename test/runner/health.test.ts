import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acceptsTcp } from '../../runner/readiness.ts';
import { gone, type Harness, logsOf, portBlock, startHarness, terminal, waitFor } from './harness.ts';

/**
 * Periodic health checks while running (docs/running-stage.md), with real services
 * that turn bad after they were healthy at deploy.
 */
let h: Harness;

beforeAll(async () => {
  h = await startHarness(['turns-unhealthy', 'stops-accepting'], {
    WORKLOAD_PORT_RANGE: portBlock(),
    STOP_TIMEOUT_MS: '3000',
  });
  await h.startRunner();
});
afterAll(() => h?.close());

// Short, with timeouts generous for a loaded machine (a slow answer would be a failure of another kind).
const FAST = { healthCheckIntervalMs: 500, healthCheckTimeoutMs: 450, healthCheckFailureThreshold: 3 };

async function runningWorkload(deploymentId: string) {
  const created = await h.createWorkload(deploymentId);
  const running = await waitFor(h.app, created.id, (w) => w.stage === 'running' || terminal(w));
  expect(running.stage).toBe('running');
  return running;
}

/** The port is no live workload's in the database, and nothing listens on it. */
async function portReleased(port: number) {
  const { rows } = await h.app.db.pool.query(
    `select count(*)::int as n from workload where port = $1 and stage not in ('stopped', 'failed')`,
    [port],
  );
  expect(rows[0].n).toBe(0);
  expect(await acceptsTcp('127.0.0.1', port)).toBe(false);
}

describe('periodic health checks', () => {
  it('ends a workload whose health endpoint turns 500: a warn entry per failure, then failed in running', async () => {
    const deploymentId = await h.deploy('turns-unhealthy', { healthCheckPath: '/health', ...FAST });
    const running = await runningWorkload(deploymentId);
    const failed = await waitFor(h.app, running.id, terminal);
    const reason = 'GET /health answered HTTP 500';
    expect(failed).toMatchObject({
      stage: 'failed',
      failedStage: 'running',
      failureReason: 'health',
      error: `Health check failed 3 times in a row: ${reason}`,
    });
    expect(await gone(running.pid!)).toBe(true);
    await portReleased(running.port!);

    const logs = await logsOf(h.app, running.id);
    const turned = logs.findIndex((l) => l.message.startsWith('unhealthy since '));
    const checks = logs.filter((l) => l.message.startsWith('Health check failed'));
    expect(turned).toBeGreaterThan(0);
    expect(checks).toEqual([
      expect.objectContaining({
        stage: 'running',
        level: 'warn',
        message: `Health check failed (1/3): ${reason}`,
      }),
      expect.objectContaining({
        stage: 'running',
        level: 'warn',
        message: `Health check failed (2/3): ${reason}`,
      }),
      expect.objectContaining({
        stage: 'running',
        level: 'warn',
        message: `Health check failed (3/3): ${reason}`,
      }),
      expect.objectContaining({ stage: 'running', level: 'error', message: failed.error }),
    ]);
    // Every failure comes after the service turned, in that order.
    expect(logs.indexOf(checks[0] as never)).toBeGreaterThan(turned);
  });

  it('ends a service that stops accepting TCP the same way when there is no health path', async () => {
    const deploymentId = await h.deploy('stops-accepting', FAST);
    const running = await runningWorkload(deploymentId);
    const failed = await waitFor(h.app, running.id, terminal);
    const reason = `port ${running.port} did not accept a connection (ECONNREFUSED)`;
    expect(failed).toMatchObject({
      stage: 'failed',
      failedStage: 'running',
      failureReason: 'health',
      error: `Health check failed 3 times in a row: ${reason}`,
    });
    expect(await gone(running.pid!)).toBe(true);
    await portReleased(running.port!);
    const warnings = (await logsOf(h.app, running.id)).filter((l) => l.level === 'warn');
    expect(warnings.map((l) => l.message)).toEqual(
      [1, 2, 3].map((k) => `Health check failed (${k}/3): ${reason}`),
    );
  });

  it('never checks with interval 0, however long the service is unhealthy', async () => {
    const deploymentId = await h.deploy('turns-unhealthy', {
      healthCheckPath: '/health',
      healthCheckIntervalMs: 0,
      env: [{ name: 'UNHEALTHY_AFTER_MS', value: '200' }],
    });
    const running = await runningWorkload(deploymentId);
    // Far longer than three intervals of the test above, with the service unhealthy throughout.
    await sleep(3_000);
    const still = await waitFor(h.app, running.id, () => true);
    expect(still.stage).toBe('running');
    const logs = await logsOf(h.app, running.id);
    expect(logs.some((l) => l.message.startsWith('unhealthy since '))).toBe(true);
    expect(logs.some((l) => l.message.startsWith('Health check failed'))).toBe(false);
  });
});
