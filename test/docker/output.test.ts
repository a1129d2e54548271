import { setTimeout as sleep } from 'node:timers/promises';
import { expect, it } from 'vitest';
import { freeTcpPort } from '../../core/db/embedded.ts';
import { imageTag } from '../../runner/executors/docker-build.ts';
import type { RunningService } from '../../runner/executors/types.ts';
import type { LogWriterOptions } from '../../runner/logs/log-writer.ts';
import { MAX_MESSAGE_BYTES } from '../../runner/logs/utf8-lines.ts';
import { measureLiveMemory } from '../support/memory.ts';
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

const MiB = 1024 * 1024;
const LONG = 32 * MiB;

/**
 * A container's output and `docker build`'s go through the same line input
 * and back-pressured log writer as a local process's: a line without a
 * newline is cut at 16 KiB without being held, and a container that prints
 * faster than the log is stored waits for it instead of losing lines.
 */
describeDocker('docker output through the log writer', () => {
  const suite = executorSuite();
  const { executor } = suite;

  async function prepare(fixture: string, env: Record<string, string>, logOptions: LogWriterOptions = {}) {
    const copy = await copyFixture(fixture);
    suite.defer(copy.cleanup);
    const vars = Object.entries(env).map(([name, value]) => ({ name, value }));
    const stage = await stageContext(
      suite.db,
      dockerEngine.config,
      { ...copy, servicePath: fixture },
      vars,
      logOptions,
    );
    suite.defer(() => removeImageTags(suite.docker, imageTag(stage.ctx)));
    suite.defer(() => stage.log.close());
    return stage;
  }

  function track(service: RunningService) {
    suite.defer(() => service.stop(0));
    return service;
  }

  const cutLine = (total: number) =>
    `${'x'.repeat(MAX_MESSAGE_BYTES)} …[truncated ${total - MAX_MESSAGE_BYTES} bytes]`;

  it('turns 32 MiB printed by a container without a newline into one cut entry, holding far less than the line', async () => {
    const stage = await prepare('docker-printer', { LONG_LINE_BYTES: String(LONG) });
    await executor.build(stage.ctx);
    await stage.log.flush();
    stage.setStage('deploy');
    const memory = await measureLiveMemory();
    const service = track(await executor.start(stage.ctx, await freeTcpPort(), '127.0.0.1'));
    expect(await service.exited).toEqual({ code: 0, signal: null });
    const growth = await memory.stop();
    const output = (await stage.logs()).filter((l) => l.stage === 'deploy');
    expect(output).toEqual([{ stage: 'deploy', level: 'info', message: cutLine(LONG) }]);
    // The line went through this process in full. What it keeps of it is 16 KiB; the rest of what is
    // live at a time is chunks in flight in the engine's socket. docker-modem's splitter held the line.
    expect(growth).toBeLessThan(LONG / 2);
  }, 240_000);

  it('turns 32 MiB of `docker build` output without a newline into one cut entry', async () => {
    const stage = await prepare('docker-long-build', {});
    const label = await uniqueFixtureLabel(stage.ctx.serviceDir);
    suite.defer(() => removeFixtureLayers(suite.docker, label));
    const memory = await measureLiveMemory();
    await executor.build(stage.ctx);
    const growth = await memory.stop();
    const cut = (await stage.logs()).filter((l) => l.message.startsWith('xxxx'));
    expect(cut).toHaveLength(1);
    // The builder's next message may follow on the same line: at least the 32 MiB are counted.
    const truncated = Number(/ …\[truncated (\d+) bytes\]$/.exec(cut[0]?.message ?? '')?.[1]);
    expect(cut[0]?.message.startsWith(`${'x'.repeat(MAX_MESSAGE_BYTES)} …[truncated `)).toBe(true);
    expect(truncated).toBeGreaterThanOrEqual(LONG - MAX_MESSAGE_BYTES);
    expect(truncated).toBeLessThan(LONG - MAX_MESSAGE_BYTES + 1024);
    // docker-modem's followProgress kept every message of the build (the whole line and more).
    expect(growth).toBeLessThan(LONG / 2);
  }, 240_000);

  it('slows a container that prints faster than the log is stored, and stores every line it printed', async () => {
    const LINES = 300_000;
    const bound = 5_000;
    // `write` would drop past 5,000 waiting entries; the container's output must never be dropped.
    const stage = await prepare(
      'docker-printer',
      { LOG_LINES: String(LINES), STAY: '1' },
      { highWaterEntries: bound, maxEntries: bound },
    );
    await executor.build(stage.ctx);
    await stage.log.flush();
    const { rows } = await suite.db.pool.query('select log_seq from workload where id = $1', [
      stage.ctx.workloadId,
    ]);
    const firstSeq = (rows[0].log_seq as number) + 1;
    stage.setStage('deploy');

    // Holding the workload's row keeps every batch waiting at its seq reservation: nothing is stored.
    const blocker = await suite.db.pool.connect();
    let blocked = true;
    const release = async () => {
      if (!blocked) return;
      blocked = false;
      await blocker.query('commit');
      blocker.release();
    };
    suite.defer(release);
    await blocker.query('begin');
    await blocker.query('select 1 from workload where id = $1 for update', [stage.ctx.workloadId]);

    const service = track(await executor.start(stage.ctx, await freeTcpPort(), '127.0.0.1'));
    expect(await eventually(async () => stage.log.pendingEntries >= bound)).toBe(true);
    // Given time it would have printed all of it (a few MB); it is waiting on its stdout instead.
    await sleep(3_000);
    const container = suite.docker.getContainer(service.containerId ?? '');
    expect((await container.inspect()).State.Running).toBe(true);
    // What this process holds stays near the bound: one chunk's lines over it at most.
    expect(stage.log.pendingEntries).toBeLessThan(bound + 10_000);

    await release();
    const stored = async () =>
      (
        await suite.db.pool.query(
          `select count(*)::int as n,
                  count(*) filter (where message = 'line ' || (seq - $2 + 1))::int as in_order
             from workload_log where workload_id = $1 and seq >= $2`,
          [stage.ctx.workloadId, firstSeq],
        )
      ).rows[0] as { n: number; in_order: number };
    // It keeps running once it has printed everything: wait until the log has caught up.
    expect(await eventually(async () => (await stored()).n >= LINES, 180_000)).toBe(true);
    expect(await stored()).toEqual({ n: LINES, in_order: LINES });
    expect(await service.stop(5_000)).toEqual({ code: 0, signal: null });
  }, 240_000);
});
