import { execFileSync } from 'node:child_process';
import { cp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { StopWorkloadDocument } from '../../sdk/index.ts';
import { describeDocker } from './engine.ts';
import { stackSuite } from './stack.ts';
import { removeFixtureLayers, uniqueFixtureLabel } from './support.ts';

/**
 * Docker workloads end to end: GraphQL API → runner → docker executor →
 * a real engine, for every way a Docker workload can go.
 */
describeDocker('docker workloads through the API and a runner', () => {
  const suite = stackSuite({ HEALTHCHECK_TIMEOUT_MS: '4000', STOP_TIMEOUT_MS: '3000' }, [
    'docker-hello',
    'docker-build-fail',
    'docker-slow-build',
    'docker-never-listens',
  ]);

  it('runs a Dockerfile service through every stage, serves its URL, and stop removes the container', async () => {
    const id = await suite.stack.deploy('docker-hello', 'docker', [
      { name: 'GREETING', value: 'from the deployment' },
    ]);
    const running = await suite.stack.waitFor(id, ['running', 'failed']);
    expect(running).toMatchObject({ stage: 'running', executor: 'docker', error: null });
    expect(running.containerId).toMatch(/^[0-9a-f]{64}$/);
    expect(await suite.containerExists(running.containerId ?? '')).toBe(true);
    expect(await (await fetch(running.url ?? '')).text()).toBe('hello from docker');
    expect(await (await fetch(`${running.url}/env/GREETING`)).text()).toBe('from the deployment');

    const { stopWorkload } = await suite.stack.app.gql(StopWorkloadDocument, { id });
    expect(stopWorkload).toMatchObject({ stage: 'stopped', exitCode: 0 });
    expect(await suite.containerExists(running.containerId ?? '')).toBe(false);

    const logs = await suite.stack.logs(id);
    const stages = new Set(logs.map((l) => l.stage));
    expect([...stages]).toEqual(expect.arrayContaining(['validate', 'build', 'deploy', 'running']));
    expect(logs).toContainEqual({
      stage: 'validate',
      level: 'info',
      message: 'Executor: docker (set on the deployment; the engine answers)',
    });
    expect(
      logs.some(
        (l) => l.stage === 'build' && /^Step 1\/\d+ : FROM agentforge\/node-base:20$/.test(l.message),
      ),
    ).toBe(true);
    expect(logs).toContainEqual({ stage: 'deploy', level: 'info', message: 'hello from stdout' });
    expect(logs).toContainEqual({ stage: 'deploy', level: 'warn', message: 'hello from stderr' });
    expect(logs).toContainEqual({ stage: 'running', level: 'info', message: 'got SIGTERM' });
  });

  it('auto picks docker when there is a Dockerfile and the engine answers', async () => {
    const id = await suite.stack.deploy('docker-hello', 'auto');
    const running = await suite.stack.waitFor(id, ['running', 'failed']);
    expect(running).toMatchObject({ stage: 'running', executor: 'docker' });
    expect(await suite.stack.logs(id)).toContainEqual({
      stage: 'validate',
      level: 'info',
      message: 'Executor: docker (auto: Dockerfile found and the engine answers)',
    });
    // A crash of the running container fails the workload with its exit code.
    expect(await (await fetch(`${running.url}/crash`)).text()).toBe('bye');
    const crashed = await suite.stack.waitFor(id, ['failed', 'stopped']);
    expect(crashed).toMatchObject({
      stage: 'failed',
      failedStage: 'running',
      failureReason: 'crash',
      exitCode: 3,
      error: 'Service crashed with exit code 3',
    });
    expect(await suite.stack.logs(id)).toContainEqual({
      stage: 'running',
      level: 'warn',
      message: 'crashing on request',
    });
    expect(await suite.containerExists(running.containerId ?? '')).toBe(false);
  });

  it('fails build with the engine message when the Dockerfile fails', async () => {
    const id = await suite.stack.deploy('docker-build-fail', 'docker');
    const failed = await suite.stack.waitFor(id, ['failed', 'running']);
    expect(failed).toMatchObject({ stage: 'failed', failedStage: 'build', containerId: null });
    expect(failed.error).toMatch(/^docker build failed: .*returned a non-zero code: 3$/);
    expect(await suite.stack.logs(id)).toContainEqual({
      stage: 'build',
      level: 'info',
      message: 'about to fail',
    });
  });

  it('fails deploy when the container never listens, and removes it', async () => {
    const id = await suite.stack.deploy('docker-never-listens', 'docker');
    const failed = await suite.stack.waitFor(id, ['failed', 'running']);
    expect(failed).toMatchObject({ stage: 'failed', failedStage: 'deploy' });
    expect(failed.containerId).toMatch(/^[0-9a-f]{64}$/);
    expect(await suite.containerExists(failed.containerId ?? '')).toBe(false);
    expect(await suite.stack.logs(id)).toContainEqual({
      stage: 'deploy',
      level: 'info',
      message: 'up, but not listening',
    });
  });

  it('cancels a slow build: the workload fails as cancelled and no build container is left', async () => {
    const label = await uniqueFixtureLabel(join(suite.stack.rootPath, 'docker-slow-build'));
    const id = await suite.stack.deploy('docker-slow-build', 'docker');
    const until = Date.now() + 30_000;
    while (
      !(await suite.stack.logs(id)).some((l) => l.message === 'slow step starts') &&
      Date.now() < until
    ) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const { stopWorkload } = await suite.stack.app.gql(StopWorkloadDocument, { id });
    expect(stopWorkload).toMatchObject({
      stage: 'failed',
      failedStage: 'build',
      error: 'Cancelled by user during build',
    });
    const leftovers = async () =>
      (
        await suite.docker.listContainers({
          all: true,
          filters: { label: [`agentforge.fixture=${label}`] },
        })
      ).length;
    const deadline = Date.now() + 15_000;
    while ((await leftovers()) > 0 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await leftovers()).toBe(0);
    await removeFixtureLayers(suite.docker, label);
  });

  it('fails build, not validate, when the context prepared during validate cannot be packed', async () => {
    const dir = join(suite.stack.rootPath, 'docker-with-fifo');
    await cp(join(suite.stack.rootPath, 'docker-hello'), dir, { recursive: true });
    execFileSync('mkfifo', [join(dir, 'pipe')]);
    const id = await suite.stack.deploy('docker-with-fifo', 'docker');
    const failed = await suite.stack.waitFor(id, ['failed', 'running']);
    expect(failed).toMatchObject({ stage: 'failed', failedStage: 'build', containerId: null });
    expect(failed.error).toMatch(
      /^docker build failed: could not prepare the build context: unsupported type for \/?pipe$/,
    );
    const logs = await suite.stack.logs(id);
    expect(logs.at(-1)).toEqual({ stage: 'build', level: 'error', message: failed.error });
    expect(logs).toContainEqual({
      stage: 'validate',
      level: 'info',
      message: 'Executor: docker (set on the deployment; the engine answers)',
    });
  });

  it('fails validate for executor docker without a Dockerfile', async () => {
    await cp(join(suite.stack.rootPath, 'docker-hello'), join(suite.stack.rootPath, 'docker-no-dockerfile'), {
      recursive: true,
    });
    await rm(join(suite.stack.rootPath, 'docker-no-dockerfile', 'Dockerfile'));
    const id = await suite.stack.deploy('docker-no-dockerfile', 'docker');
    const failed = await suite.stack.waitFor(id, ['failed', 'running']);
    expect(failed).toMatchObject({
      stage: 'failed',
      failedStage: 'validate',
      error: 'Executor docker needs a Dockerfile in docker-no-dockerfile',
    });
  });
});
