import { expect, it } from 'vitest';
import { CreateDeploymentDocument, CreateWorkloadDocument } from '../../sdk/index.ts';
import { describeDocker } from './engine.ts';
import { stackSuite } from './stack.ts';

/** The running stage of a container: its periodic health check and its resource samples. */
describeDocker('a docker workload while running', () => {
  const suite = stackSuite({ HEALTHCHECK_TIMEOUT_MS: '8000', STOP_TIMEOUT_MS: '3000' }, ['turns-unhealthy']);

  it('fails when its health endpoint turns 500, container removed; resources are sampled before', async () => {
    const { stack } = suite;
    const { createDeployment } = await stack.app.gql(CreateDeploymentDocument, {
      input: {
        projectId: stack.projectId,
        serviceName: 'turns-unhealthy',
        servicePath: 'turns-unhealthy',
        executor: 'docker',
        healthCheckPath: '/health',
        healthCheckIntervalMs: 500,
        healthCheckTimeoutMs: 450,
        healthCheckFailureThreshold: 3,
        env: [{ name: 'UNHEALTHY_AFTER_MS', value: '9000' }],
      },
    });
    stack.deploymentIds.push(createDeployment.id);
    const { createWorkload } = await stack.app.gql(CreateWorkloadDocument, {
      input: { deploymentId: createDeployment.id },
    });
    const id = createWorkload.id;
    const running = await stack.waitFor(id, ['running', 'failed', 'stopped'], 60_000);
    expect(running.stage).toBe('running');

    // The engine's stats, sampled while it is healthy.
    let withResources = await stack.workload(id);
    for (const until = Date.now() + 10_000; !withResources.resources && Date.now() < until; ) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      withResources = await stack.workload(id);
    }
    expect(withResources.resources).toMatchObject({ pids: expect.any(Number) });
    expect(withResources.resources!.memoryBytes).toBeGreaterThan(1024 * 1024);
    expect(withResources.peakMemoryBytes).toBeGreaterThan(0);

    const failed = await stack.waitFor(id, ['failed', 'stopped'], 60_000);
    const reason = 'GET /health answered HTTP 500';
    expect(failed).toMatchObject({
      stage: 'failed',
      failedStage: 'running',
      failureReason: 'health',
      error: `Health check failed 3 times in a row: ${reason}`,
    });
    expect(await suite.containerExists(running.containerId!)).toBe(false);
    const warnings = (await stack.logs(id)).filter((l) => l.message.startsWith('Health check failed ('));
    expect(warnings.map((l) => l.message)).toEqual(
      [1, 2, 3].map((k) => `Health check failed (${k}/3): ${reason}`),
    );
  });
});
