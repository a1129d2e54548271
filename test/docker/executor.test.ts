import { expect, it } from 'vitest';
import { freeTcpPort } from '../../core/db/embedded.ts';
import { imageTag } from '../../runner/executors/docker-build.ts';
import { type RunningService, StageError } from '../../runner/executors/types.ts';
import { describeDocker, dockerEngine } from './engine.ts';
import {
  copyFixture,
  eventually,
  executorSuite,
  removeFixtureLayers,
  removeImageTags,
  stageContext,
  uniqueFixtureLabel,
} from './support.ts';

/**
 * The docker executor on its own against a real engine: build, start, logs,
 * stop, crash and cancel, with the real log writer on a test database.
 */
describeDocker('docker executor', () => {
  const suite = executorSuite();
  const { executor } = suite;

  async function prepare(fixture: string, env: { name: string; value: string }[] = []) {
    const copy = await copyFixture(fixture);
    suite.defer(copy.cleanup);
    const stage = await stageContext(suite.db, dockerEngine.config, { ...copy, servicePath: fixture }, env);
    suite.defer(() => removeImageTags(suite.docker, imageTag(stage.ctx)));
    suite.defer(() => stage.log.close());
    return stage;
  }

  function track(service: RunningService) {
    suite.defer(() => service.stop(0));
    return service;
  }

  const containerExists = async (id: string) =>
    (await suite.docker.listContainers({ all: true, filters: { id: [id] } })).length > 0;

  it('builds, starts with labels and env, streams stdout as info and stderr as warn, and stop removes the container', async () => {
    const stage = await prepare('docker-hello', [{ name: 'GREETING', value: 'hi there' }]);
    await executor.build(stage.ctx);
    const buildLogs = await stage.logs();
    expect(
      buildLogs.some(
        (l) => l.stage === 'build' && /^Step 1\/\d+ : FROM agentforge\/node-base:20$/.test(l.message),
      ),
    ).toBe(true);
    expect(buildLogs.some((l) => /Successfully tagged/.test(l.message))).toBe(true);

    stage.setStage('deploy');
    const port = await freeTcpPort();
    const service = track(await executor.start(stage.ctx, port, '127.0.0.1'));
    expect(service.containerId).toMatch(/^[0-9a-f]{64}$/);

    const info = await suite.docker.getContainer(service.containerId ?? '').inspect();
    expect(info.Config.Labels).toMatchObject({
      'agentforge.workload': stage.ctx.workloadId,
      'agentforge.deployment': stage.ctx.deploymentId,
      'agentforge.runner': stage.ctx.runnerId,
    });
    expect(info.Config.Env).toContain(`PORT=${port}`);
    expect(info.Config.Env).toContain('GREETING=hi there');

    const url = `http://127.0.0.1:${port}`;
    expect(await eventually(async () => (await fetch(url).catch(() => null))?.ok === true)).toBe(true);
    expect(await (await fetch(url)).text()).toBe('hello from docker');
    expect(await (await fetch(`${url}/env/GREETING`)).text()).toBe('hi there');
    // .dockerignore: neither the ignored file nor the ignored folder reached the image.
    const files: string[] = await (await fetch(`${url}/files`)).json();
    expect(files).toContain('server.js');
    expect(files).not.toContain('secret.txt');
    expect(files).not.toContain('ignored');

    stage.setStage('running');
    const exit = await service.stop(5_000);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(await containerExists(service.containerId ?? '')).toBe(false);

    const logs = await stage.logs();
    expect(logs).toContainEqual({ stage: 'deploy', level: 'info', message: 'hello from stdout' });
    expect(logs).toContainEqual({ stage: 'deploy', level: 'warn', message: 'hello from stderr' });
    expect(logs).toContainEqual({ stage: 'running', level: 'info', message: 'got SIGTERM' });
  });

  it('fails build with the engine message when a step fails', async () => {
    const stage = await prepare('docker-build-fail');
    const failure = await executor.build(stage.ctx).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(StageError);
    expect((failure as Error).message).toMatch(/^docker build failed: .*returned a non-zero code: 3/);
    const logs = await stage.logs();
    expect(logs).toContainEqual({ stage: 'build', level: 'info', message: 'about to fail' });
    expect(logs.some((l) => l.level === 'error' && /non-zero code: 3/.test(l.message))).toBe(true);
  });

  it('reports a crashing container with its exit code and its last stderr line', async () => {
    const stage = await prepare('docker-crash');
    await executor.build(stage.ctx);
    stage.setStage('deploy');
    const service = track(await executor.start(stage.ctx, await freeTcpPort(), '127.0.0.1'));
    expect(await service.exited).toEqual({ code: 3, signal: null });
    expect(await stage.logs()).toContainEqual({ stage: 'deploy', level: 'warn', message: 'crashing now' });
    await service.stop(1_000);
    expect(await containerExists(service.containerId ?? '')).toBe(false);
  });

  it('kills a container that ignores SIGTERM after the stop timeout and reports the signal', async () => {
    const stage = await prepare('docker-never-listens');
    await executor.build(stage.ctx);
    stage.setStage('deploy');
    const service = track(await executor.start(stage.ctx, await freeTcpPort(), '127.0.0.1'));
    expect(
      await eventually(async () => (await stage.logs()).some((l) => l.message === 'up, but not listening')),
    ).toBe(true);
    // node as PID 1 has no SIGTERM handler installed by default: only SIGKILL ends it.
    expect(await service.stop(1_000)).toEqual({ code: null, signal: 'SIGKILL' });
    expect(await containerExists(service.containerId ?? '')).toBe(false);
  });

  it('aborts a slow build on cancel and leaves no build container behind', async () => {
    const stage = await prepare('docker-slow-build');
    const label = await uniqueFixtureLabel(stage.ctx.serviceDir);
    suite.defer(() => removeFixtureLayers(suite.docker, label));
    const building = executor.build(stage.ctx).catch((error: unknown) => error);
    expect(
      await eventually(async () => (await stage.logs()).some((l) => l.message === 'slow step starts')),
    ).toBe(true);
    stage.controller.abort();
    const failure = await building;
    expect(failure).toBeInstanceOf(StageError);
    expect((failure as Error).message).toBe('docker build cancelled');
    const leftovers = async () =>
      (
        await suite.docker.listContainers({
          all: true,
          filters: { label: [`agentforge.fixture=${label}`] },
        })
      ).length;
    expect(await eventually(async () => (await leftovers()) === 0)).toBe(true);
    expect(await suite.docker.listImages({ filters: { reference: [imageTag(stage.ctx)] } })).toEqual([]);
  });

  it('cleanup removes older images of the deployment but keeps the newest', async () => {
    const first = await prepare('docker-crash');
    await executor.build(first.ctx);
    const second = await stageContext(suite.db, dockerEngine.config, {
      rootPath: first.ctx.serviceDir,
      serviceDir: first.ctx.serviceDir,
      servicePath: first.ctx.servicePath,
    });
    const ctx = { ...second.ctx, deploymentId: first.ctx.deploymentId };
    suite.defer(() => second.log.close());
    suite.defer(() => removeImageTags(suite.docker, imageTag(ctx)));
    await executor.build(ctx);
    await executor.cleanup?.(ctx);
    const tags = (
      await suite.docker.listImages({ filters: { reference: [`agentforge/${first.ctx.deploymentId}`] } })
    ).flatMap((image) => image.RepoTags ?? []);
    expect(tags).toEqual([imageTag(ctx)]);
  });
});
