import { expect, it } from 'vitest';
import { freeTcpPort } from '../../core/db/embedded.ts';
import { imageTag } from '../../runner/executors/docker-build.ts';
import { LABEL_RUNNER } from '../../runner/executors/docker-container.ts';
import { removeOrphanContainers } from '../../runner/executors/docker-orphans.ts';
import type { RunningService } from '../../runner/executors/types.ts';
import { describeDocker, dockerEngine } from './engine.ts';
import { copyFixture, executorSuite, removeImageTags, stageContext } from './support.ts';

/**
 * Docker containment (docs/containment.md): a workload's container has the
 * deployment's limits, no capability, no privilege escalation, bounded
 * logs, no mounts and a non-root user; containers of a runner that is gone
 * are removed by the next sweep.
 */
describeDocker('docker containment', () => {
  const suite = executorSuite();
  const { executor } = suite;

  async function started(limits: { memoryMb: number; cpus: number; pids: number }) {
    const copy = await copyFixture('docker-hello');
    suite.defer(copy.cleanup);
    const stage = await stageContext(suite.db, dockerEngine.config, { ...copy, servicePath: 'docker-hello' });
    stage.ctx.limits = limits;
    suite.defer(() => removeImageTags(suite.docker, imageTag(stage.ctx)));
    suite.defer(() => stage.log.close());
    await executor.build(stage.ctx);
    stage.setStage('deploy');
    const service: RunningService = await executor.start(stage.ctx, await freeTcpPort(), '127.0.0.1');
    suite.defer(() => service.stop(0));
    return { stage, service };
  }

  it('creates the container with the limits, CapDrop ALL, no-new-privileges, bounded logs, no mounts, not root', async () => {
    const { service } = await started({ memoryMb: 96, cpus: 0.5, pids: 64 });
    const info = await suite.docker.getContainer(service.containerId!).inspect();
    expect(info.HostConfig).toMatchObject({
      Memory: 96 * 1024 * 1024,
      NanoCpus: 500_000_000,
      PidsLimit: 64,
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges'],
      Privileged: false,
      LogConfig: { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '2' } },
    });
    expect(info.HostConfig.Binds ?? []).toEqual([]);
    expect(info.Mounts).toEqual([]);
    // The image names no user: an unprivileged one is chosen.
    expect(info.Config.User).toBe('65534:65534');
  });

  it('removes the containers of a runner that is gone, and only those', async () => {
    const { stage, service } = await started({ memoryMb: 128, cpus: 1, pids: 64 });
    const runnerId = stage.ctx.runnerId;
    const log: string[] = [];
    // Not recorded in this database: another installation's, left alone.
    expect(
      await removeOrphanContainers(suite.db.pool, dockerEngine.config, (l) => log.push(l), suite.docker),
    ).toBe(0);
    await suite.db.pool.query(
      `insert into runner (id, hostname, pid, concurrency, started_at, last_heartbeat_at, stopped_at)
       values ($1, 'gone', 1, 1, now() - interval '1 hour', now() - interval '1 hour', null)`,
      [runnerId],
    );
    const removed = await removeOrphanContainers(
      suite.db.pool,
      dockerEngine.config,
      (l) => log.push(l),
      suite.docker,
    );
    expect(removed).toBeGreaterThanOrEqual(1);
    const left = await suite.docker.listContainers({
      all: true,
      filters: { label: [`${LABEL_RUNNER}=${runnerId}`] },
    });
    expect(left).toEqual([]);
    expect(log.join('\n')).toContain(`of workload ${stage.ctx.workloadId}: its runner ${runnerId} is gone`);
    // The service's wait ends with the container.
    await service.exited;
  });
});
