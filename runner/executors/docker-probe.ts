import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../../src/config.ts';
import { dockerClient, engineAddress, engineMessage } from './docker-engine.ts';

/** How long the validate stage waits for the engine to answer a ping. */
const PING_TIMEOUT_MS = 2_000;

export type EngineState = { ok: true } | { ok: false; reason: string };

export interface DockerProbe {
  /** The service directory has a `Dockerfile` (a regular file). */
  dockerfile: boolean;
  engine: EngineState;
}

async function hasDockerfile(serviceDir: string): Promise<boolean> {
  try {
    return (await stat(join(serviceDir, 'Dockerfile'))).isFile();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    if ((error as NodeJS.ErrnoException).code === 'ENOTDIR') return false;
    throw error;
  }
}

/** Pings the engine with a short timeout; the reason names the address and the failure. */
export async function pingEngine(config: Pick<Config, 'dockerHost'>): Promise<EngineState> {
  const address = engineAddress(config);
  try {
    const docker = dockerClient(config, PING_TIMEOUT_MS);
    // dockerode 5 takes options on ping; @types/dockerode 4 does not know it yet.
    const ping = docker.ping.bind(docker) as unknown as (opts: {
      abortSignal: AbortSignal;
    }) => Promise<unknown>;
    await ping({ abortSignal: AbortSignal.timeout(PING_TIMEOUT_MS) });
    return { ok: true };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ABORT_ERR' ||
      (error as Error).name === 'AbortError' ||
      (error as Error).name === 'TimeoutError'
        ? `no answer within ${PING_TIMEOUT_MS} ms`
        : engineMessage(error);
    return { ok: false, reason: `Docker engine at ${address} is not reachable: ${why}` };
  }
}

/** What the validate stage needs to decide between the `docker` and `local` executors. */
export async function probeDocker(config: Config, serviceDir: string): Promise<DockerProbe> {
  const [dockerfile, engine] = await Promise.all([hasDockerfile(serviceDir), pingEngine(config)]);
  return { dockerfile, engine };
}
