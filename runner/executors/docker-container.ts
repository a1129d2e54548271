import { constants } from 'node:os';
import type Docker from 'dockerode';
import type { UsageReading } from '../resources/usage.ts';
import {
  CONFLICT,
  engineAddress,
  engineMessage,
  engineStatus,
  NOT_FOUND,
  NOT_MODIFIED,
} from './docker-engine.ts';
import { demuxOutput } from './docker-streams.ts';
import { type RunningService, type ServiceExit, type StageContext, StageError } from './types.ts';

/** Labels on every workload container, so they can be found by workload, deployment and runner. */
export const LABEL_WORKLOAD = 'agentforge.workload';
export const LABEL_DEPLOYMENT = 'agentforge.deployment';
export const LABEL_RUNNER = 'agentforge.runner';

/** The uid:gid a container runs as when its image names no user: unprivileged, like the local sandbox. */
export const CONTAINER_DEFAULT_USER = '65534:65534';

/** Bounded output kept by the engine per container (the runner streams it into the log anyway). */
export const CONTAINER_LOG_CONFIG = { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '2' } };

/**
 * The container's confinement (docs/containment.md): the deployment's limits, no
 * capability, no privilege escalation, bounded logs, no mounts, never
 * privileged. `imageUser` is the image's own USER, kept when it names one.
 */
export function containerHostConfig(ctx: StageContext): Docker.HostConfig {
  const { memoryMb, cpus, pids } = ctx.limits;
  return {
    Memory: memoryMb * 1024 * 1024,
    // Memory + swap at the same figure: no swap beyond the limit.
    MemorySwap: memoryMb * 1024 * 1024,
    NanoCpus: Math.round(cpus * 1e9),
    PidsLimit: pids,
    CapDrop: ['ALL'],
    SecurityOpt: ['no-new-privileges'],
    Privileged: false,
    ReadonlyRootfs: false,
    Binds: [],
    Mounts: [],
    LogConfig: CONTAINER_LOG_CONFIG,
  };
}

function containerSpec(
  ctx: StageContext,
  image: string,
  port: number,
  host: string,
  imageUser: string,
): Docker.ContainerCreateOptions {
  const bridge = ctx.config.dockerNetworkMode === 'bridge';
  // In bridge mode the service must accept connections from the published
  // port's proxy, so it listens on every interface of its own namespace.
  const hostInside = bridge ? '0.0.0.0' : host;
  const portSpec = `${port}/tcp`;
  return {
    name: `agentforge-${ctx.workloadId}`,
    Image: image,
    Env: [...ctx.env.map((v) => `${v.name}=${v.value}`), `PORT=${port}`, `HOST=${hostInside}`],
    Labels: {
      [LABEL_WORKLOAD]: ctx.workloadId,
      [LABEL_DEPLOYMENT]: ctx.deploymentId,
      [LABEL_RUNNER]: ctx.runnerId,
    },
    User: imageUser || CONTAINER_DEFAULT_USER,
    Tty: false,
    OpenStdin: false,
    AttachStdin: false,
    AttachStdout: true,
    AttachStderr: true,
    ...(bridge ? { ExposedPorts: { [portSpec]: {} } } : {}),
    HostConfig: {
      ...containerHostConfig(ctx),
      ...(bridge
        ? { NetworkMode: 'bridge', PortBindings: { [portSpec]: [{ HostIp: host, HostPort: String(port) }] } }
        : { NetworkMode: 'host' }),
    },
  };
}

/**
 * Where the deploy stage checks readiness of a bridged container: its own
 * address on the bridge, since the published port is served by the engine's
 * proxy, which accepts connections before the service inside listens (and
 * then closes them). Only for a local engine on Linux, whose bridge is a
 * network of this host; elsewhere (a remote engine, a VM) the published port
 * is all there is to check.
 */
async function bridgeAddress(
  container: Docker.Container,
  config: StageContext['config'],
  port: number,
): Promise<RunningService['readyAt']> {
  if (config.dockerNetworkMode !== 'bridge' || process.platform !== 'linux') return undefined;
  if (!engineAddress(config).startsWith('unix:')) return undefined;
  const { NetworkSettings } = await container.inspect();
  const ip = NetworkSettings.Networks.bridge?.IPAddress;
  return ip ? { host: ip, port } : undefined;
}

/** Docker reports a death by signal N as exit code 128 + N, as shells do. */
function toServiceExit(code: number | null): ServiceExit {
  if (code !== null && code > 128 && code < 160) {
    const name = Object.entries(constants.signals).find(([, n]) => n === code - 128)?.[0];
    if (name) return { code: null, signal: name as NodeJS.Signals };
  }
  return { code, signal: null };
}

/** Removes a container, treating "already gone" and "removal in progress" as done. */
export async function removeContainer(container: Docker.Container): Promise<void> {
  try {
    await container.remove({ force: true, v: true });
  } catch (error) {
    const status = engineStatus(error);
    if (status !== NOT_FOUND && status !== CONFLICT) throw error;
  }
}

/**
 * Creates the workload's container, attaches to its output before starting
 * it (so no line is lost), then starts it. Readiness is checked by the
 * deploy stage. Any failure removes the container before rejecting.
 */
export async function startContainer(
  docker: Docker,
  ctx: StageContext,
  image: string,
  port: number,
  host: string,
): Promise<RunningService> {
  let container: Docker.Container;
  try {
    const imageUser = (await docker.getImage(image).inspect()).Config?.User ?? '';
    container = await docker.createContainer(containerSpec(ctx, image, port, host, imageUser));
  } catch (error) {
    throw new StageError(`Could not create the container: ${engineMessage(error)}`, { cause: error });
  }
  let output: NodeJS.ReadWriteStream;
  let readyAt: RunningService['readyAt'];
  try {
    output = await container.attach({ stream: true, stdout: true, stderr: true, logs: true });
    if (ctx.signal.aborted) throw new StageError('Cancelled before the container started');
    await container.start();
    readyAt = await bridgeAddress(container, ctx.config, port);
  } catch (error) {
    await removeContainer(container);
    if (error instanceof StageError) throw error;
    throw new StageError(`Could not start the container: ${engineMessage(error)}`, { cause: error });
  }

  const waited: Promise<{ StatusCode?: number }> = container.wait();
  // Each line of stdout (info) and stderr (warn) under the stage current when it arrives: output
  // printed while starting is `deploy`, later output `running`. Read with back-pressure: while the
  // log is behind, the engine stops reading the container's output and the container waits.
  const drained = demuxOutput(
    output as AsyncIterable<Buffer>,
    ctx.log.lines(ctx.stage, 'info'),
    ctx.log.lines(ctx.stage, 'warn'),
    waited,
  ).catch((error: unknown) =>
    ctx.log.write(ctx.stage(), 'error', `Lost the container's output: ${engineMessage(error)}`),
  );

  const exited: Promise<ServiceExit> = waited.then(
    async (result) => {
      await drained;
      const exit = toServiceExit(typeof result.StatusCode === 'number' ? result.StatusCode : null);
      const oom = await container.inspect().then(
        (info) => info.State.OOMKilled === true,
        () => false,
      );
      if (oom) exit.outOfMemoryMb = ctx.limits.memoryMb;
      return exit;
    },
    async (error: unknown) => {
      // The wait request itself failed (engine restarted, connection lost):
      // ask once more for the exit code rather than leave the workload hanging.
      ctx.log.write(ctx.stage(), 'error', `Lost track of the container: ${engineMessage(error)}`);
      try {
        const state = (await container.inspect()).State;
        return toServiceExit(state.Running ? null : state.ExitCode);
      } catch (inspectError) {
        ctx.log.write(ctx.stage(), 'error', `The container is gone: ${engineMessage(inspectError)}`);
        return { code: null, signal: null };
      }
    },
  );

  let stopping: Promise<ServiceExit> | undefined;
  const stop = (timeoutMs: number) => {
    stopping ??= (async () => {
      try {
        await container.stop({ t: Math.ceil(timeoutMs / 1000) });
      } catch (error) {
        const status = engineStatus(error);
        if (status !== NOT_MODIFIED && status !== NOT_FOUND) {
          // Removing by force kills it, which ends the wait below.
          ctx.log.write(
            ctx.stage(),
            'warn',
            `docker stop failed (${engineMessage(error)}); removing it by force`,
          );
          await removeContainer(container);
        }
      }
      const exit = await exited;
      await removeContainer(container);
      return exit;
    })();
    return stopping;
  };

  return { containerId: container.id, exited, stop, readyAt, readUsage: () => containerUsage(container) };
}

/**
 * The container's usage from the engine's stats (one reading, not a
 * stream): cumulative CPU, memory without the reclaimable page cache (as
 * `docker stats` shows it, cgroup v2 `inactive_file` or v1
 * `total_inactive_file`), and its tasks.
 */
async function containerUsage(container: Docker.Container): Promise<UsageReading | null> {
  const stats = (await container.stats({ stream: false, 'one-shot': true } as {
    stream: false;
  })) as Docker.ContainerStats;
  const cpu = stats.cpu_stats?.cpu_usage?.total_usage;
  const memory = stats.memory_stats?.usage;
  if (typeof cpu !== 'number' || typeof memory !== 'number') return null;
  const extra = (stats.memory_stats?.stats ?? {}) as Record<string, number | undefined>;
  const cache = extra.inactive_file ?? extra.total_inactive_file ?? 0;
  return {
    cpuSeconds: cpu / 1e9,
    memoryBytes: Math.max(0, memory - cache),
    pids: stats.pids_stats?.current ?? 0,
    at: performance.now(),
  };
}
