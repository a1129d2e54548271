import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LocalExecutor } from '../../runner/executors/local.ts';
import { type ServiceExecutor, type StageContext, StageError } from '../../runner/executors/types.ts';
import { StopWorkloadDocument } from '../../sdk/index.ts';
import { type Harness, logsOf, portBlock, startHarness, terminal, waitFor } from './harness.ts';

/**
 * The build's preparation starts during validate, before validate has
 * chosen the executor: a `docker` executor of our own (its `prepare` under
 * each test's control) and an engine that only answers pings, so validate
 * can choose docker without a real engine.
 */

interface Prepared {
  ctx: StageContext;
  promise: Promise<string>;
}

let h: Harness;
let engine: Server;
let engineDir: string;
const prepared: Prepared[] = [];
const built: { ctx: StageContext; prepared: Promise<string> | undefined }[] = [];
let prepare: (ctx: StageContext) => Promise<string> = async () => 'prepared';
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

const docker: ServiceExecutor<string> = {
  name: 'docker',
  prepare(ctx) {
    const promise = prepare(ctx);
    prepared.push({ ctx, promise });
    return promise;
  },
  async build(ctx, preparation) {
    built.push({ ctx, prepared: preparation });
    ctx.log.write('build', 'info', `build from ${await (preparation ?? prepare(ctx))}`);
  },
  async start() {
    throw new StageError('this executor starts nothing');
  },
};

/** A preparation that ends only when it is aborted, as the real one does then. */
const untilAborted = (ctx: StageContext) =>
  new Promise<string>((_resolve, reject) => {
    ctx.signal.addEventListener('abort', () => reject(new StageError('docker build cancelled')), {
      once: true,
    });
  });

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  engineDir = await mkdtemp(join(tmpdir(), 'agentforge-fake-engine-'));
  const socket = join(engineDir, 'docker.sock');
  engine = createServer((_request, response) => response.end('OK'));
  await new Promise<void>((resolve) => engine.listen(socket, resolve));
  h = await startHarness(['hello', 'docker-hello'], { WORKLOAD_PORT_RANGE: portBlock() });
  await h.startRunner({ DOCKER_HOST: `unix://${socket}` }, { local: new LocalExecutor(), docker });
});
afterEach(() => {
  prepared.length = 0;
  built.length = 0;
  unhandled.length = 0;
  prepare = async () => 'prepared';
});
afterAll(async () => {
  await h?.close();
  await new Promise((resolve) => engine?.close(resolve));
  await rm(engineDir, { recursive: true, force: true });
  process.off('unhandledRejection', onUnhandled);
});

describe('the build preparation started during validate', () => {
  it('is discarded when validate fails while it runs, and its later rejection goes nowhere', async () => {
    prepare = async () => {
      await sleep(150);
      throw new StageError('docker build failed: too late to matter');
    };
    const created = await h.createWorkload(await h.deploy('hello', { executor: 'docker' }));
    const failed = await waitFor(h.app, created.id, terminal);
    expect(failed).toMatchObject({
      failedStage: 'validate',
      error: 'Executor docker needs a Dockerfile in hello',
    });
    expect(prepared).toHaveLength(1);
    expect(prepared[0]!.ctx.serviceDir).toBe(join(h.root, 'hello'));
    expect(prepared[0]!.ctx.signal.aborted).toBe(true);
    // Its rejection comes after the workload failed; nothing here observes it.
    await sleep(300);
    expect(unhandled).toEqual([]);
    expect(built).toEqual([]);
    expect((await logsOf(h.app, created.id)).every((l) => l.stage === 'validate')).toBe(true);
  });

  it('is discarded when auto chooses local, which then builds and runs', async () => {
    prepare = untilAborted;
    const created = await h.createWorkload(await h.deploy('hello', { executor: 'auto' }));
    const running = await waitFor(h.app, created.id, (w) => w.stage === 'running' || terminal(w));
    expect(running).toMatchObject({ stage: 'running', executor: 'local' });
    expect(prepared).toHaveLength(1);
    expect(prepared[0]!.ctx.signal.aborted).toBe(true);
    await expect(prepared[0]!.promise).rejects.toThrow('docker build cancelled');
    expect(built).toEqual([]);
    await h.app.gql(StopWorkloadDocument, { id: created.id });
    expect(unhandled).toEqual([]);
  });

  it('is what build starts from when validate chooses its executor', async () => {
    const created = await h.createWorkload(await h.deploy('docker-hello', { executor: 'docker' }));
    const failed = await waitFor(h.app, created.id, terminal);
    expect(failed).toMatchObject({ failedStage: 'deploy', error: 'this executor starts nothing' });
    expect(prepared).toHaveLength(1);
    expect(built).toHaveLength(1);
    expect(built[0]!.prepared).toBe(prepared[0]!.promise);
    expect(await logsOf(h.app, created.id)).toContainEqual(
      expect.objectContaining({ stage: 'build', message: 'build from prepared' }),
    );
  });

  it('fails build, not validate, with its own error', async () => {
    prepare = async () => {
      throw new StageError('docker build failed: could not prepare the build context: boom');
    };
    const created = await h.createWorkload(await h.deploy('docker-hello', { executor: 'docker' }));
    const failed = await waitFor(h.app, created.id, terminal);
    const error = 'docker build failed: could not prepare the build context: boom';
    expect(failed).toMatchObject({ failedStage: 'build', error });
    const logs = await logsOf(h.app, created.id);
    expect(logs.at(-1)).toMatchObject({ stage: 'build', level: 'error', message: error });
    expect(logs.filter((l) => l.level === 'error')).toHaveLength(1);
    expect(unhandled).toEqual([]);
  });

  it('is aborted by a cancel while build waits for it', async () => {
    prepare = untilAborted;
    const created = await h.createWorkload(await h.deploy('docker-hello', { executor: 'docker' }));
    await waitFor(h.app, created.id, (w) => w.stage === 'build' || terminal(w));
    const { stopWorkload } = await h.app.gql(StopWorkloadDocument, { id: created.id });
    expect(stopWorkload).toMatchObject({
      stage: 'failed',
      failedStage: 'build',
      error: 'Cancelled by user during build',
    });
    expect(prepared[0]!.ctx.signal.aborted).toBe(true);
    expect(unhandled).toEqual([]);
  });
});
