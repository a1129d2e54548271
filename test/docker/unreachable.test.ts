import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config.ts';
import { probeDocker } from '../../runner/executors/docker-probe.ts';
import { StopWorkloadDocument } from '../../sdk/index.ts';
import { type Stack, startStack } from './stack.ts';

/**
 * An engine that does not answer (a bad DOCKER_HOST). Needs no engine, so
 * it runs everywhere: `docker` fails validate naming the address, `auto`
 * falls back to the local executor and says why.
 */
const BAD_HOST = 'unix:///nonexistent/agentforge-test-docker.sock';

describe('probeDocker', () => {
  const fixture = join(import.meta.dirname, '../fixtures/docker-hello');

  it('names the address and the failure for each kind of bad DOCKER_HOST', async () => {
    const probe = (DOCKER_HOST: string, dir = fixture) => probeDocker(loadConfig({ DOCKER_HOST }), dir);
    expect(await probe(BAD_HOST)).toEqual({
      dockerfile: true,
      engine: {
        ok: false,
        reason: `Docker engine at ${BAD_HOST} is not reachable: connect ENOENT /nonexistent/agentforge-test-docker.sock`,
      },
    });
    expect((await probe('tcp://127.0.0.1:1')).engine).toEqual({
      ok: false,
      reason: 'Docker engine at tcp://127.0.0.1:1 is not reachable: connect ECONNREFUSED 127.0.0.1:1',
    });
    expect((await probe('ssh://somewhere')).engine).toMatchObject({
      ok: false,
      reason: expect.stringMatching(
        /^Docker engine at ssh:\/\/somewhere is not reachable: DOCKER_HOST "ssh:\/\/somewhere" is not supported/,
      ),
    });
  });

  it('reports whether the service has a Dockerfile', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'agentforge-probe-'));
    try {
      expect((await probeDocker(loadConfig({ DOCKER_HOST: BAD_HOST }), empty)).dockerfile).toBe(false);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });
});

describe('workloads with an unreachable Docker engine', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({ DOCKER_HOST: BAD_HOST, STOP_TIMEOUT_MS: '3000' }, ['docker-hello']);
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('fails validate for executor docker, naming the engine address', async () => {
    const id = await stack.deploy('docker-hello', 'docker');
    const failed = await stack.waitFor(id, ['failed', 'running']);
    expect(failed).toMatchObject({ stage: 'failed', failedStage: 'validate', containerId: null });
    expect(failed.error).toBe(
      `Executor docker cannot run: Docker engine at ${BAD_HOST} is not reachable: connect ENOENT /nonexistent/agentforge-test-docker.sock`,
    );
  });

  it('auto falls back to the local executor and the validate log says why', async () => {
    const id = await stack.deploy('docker-hello', 'auto');
    const running = await stack.waitFor(id, ['running', 'failed'], 60_000);
    expect(running).toMatchObject({ stage: 'running', executor: 'local', containerId: null });
    const logs = await stack.logs(id);
    expect(logs).toContainEqual({
      stage: 'validate',
      level: 'warn',
      message: `Executor: local (auto: Dockerfile found but Docker engine at ${BAD_HOST} is not reachable: connect ENOENT /nonexistent/agentforge-test-docker.sock)`,
    });
    expect(await (await fetch(running.url ?? '')).text()).toBe('hello from docker');
    const { stopWorkload } = await stack.app.gql(StopWorkloadDocument, { id });
    expect(stopWorkload.stage).toBe('stopped');
  });
});
