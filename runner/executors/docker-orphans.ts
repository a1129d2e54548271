import type Docker from 'dockerode';
import type { Config } from '../../core/config.ts';
import type { Queryable } from '../../core/sql/queryable.ts';
import { goneRunnerIds } from '../../core/sql/runners.ts';
import { LABEL_RUNNER, LABEL_WORKLOAD, removeContainer } from './docker-container.ts';
import { dockerClient } from './docker-engine.ts';

/**
 * Containers whose runner is gone (killed, its host lost): nothing will
 * ever stop them, and the orphan sweep has failed their workloads, so they
 * are removed, each with a line in the runner's log naming the container,
 * its workload and the runner that started it. An engine that does not
 * answer is skipped quietly (no Docker here is normal).
 */
export async function removeOrphanContainers(
  db: Queryable,
  config: Pick<Config, 'dockerHost'>,
  log: (line: string) => void,
  docker: Docker = dockerClient(config),
): Promise<number> {
  let containers: Docker.ContainerInfo[];
  try {
    containers = await docker.listContainers({ all: true, filters: { label: [LABEL_RUNNER] } });
  } catch {
    return 0;
  }
  const owners = [
    ...new Set(containers.map((c) => c.Labels?.[LABEL_RUNNER]).filter((id): id is string => !!id)),
  ];
  const gone = await goneRunnerIds(
    db,
    owners.filter((id) => /^[0-9a-f-]{36}$/.test(id)),
  );
  let removed = 0;
  for (const info of containers) {
    const runner = info.Labels?.[LABEL_RUNNER];
    if (!runner || !gone.has(runner)) continue;
    await removeContainer(docker.getContainer(info.Id));
    removed++;
    log(
      `Removed container ${info.Id.slice(0, 12)} of workload ${info.Labels?.[LABEL_WORKLOAD]}: its runner ${runner} is gone`,
    );
  }
  return removed;
}
