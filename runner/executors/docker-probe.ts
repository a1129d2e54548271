import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../../core/config.ts';
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

/**
 * An engine that answered a ping this recently is taken as answering: a
 * burst of deployments pings it once rather than once each. Short, so that
 * an engine that went away is noticed by the next validate but one at worst
 * (and a call to it during build or deploy fails with the engine's message).
 */
export const ENGINE_FRESH_MS = 2_000;

/** When each engine address last answered a ping (performance.now()). */
const answeredAt = new Map<string, number>();

async function engineState(config: Pick<Config, 'dockerHost'>): Promise<EngineState> {
  const address = engineAddress(config);
  const last = answeredAt.get(address);
  if (last !== undefined && performance.now() - last < ENGINE_FRESH_MS) return { ok: true };
  const state = await pingEngine(config);
  if (state.ok) answeredAt.set(address, performance.now());
  else answeredAt.delete(address);
  return state;
}

/** What the validate stage needs to decide between the `docker` and `local` executors. */
export async function probeDocker(config: Config, serviceDir: string): Promise<DockerProbe> {
  const [dockerfile, engine] = await Promise.all([hasDockerfile(serviceDir), engineState(config)]);
  return { dockerfile, engine };
}

/**
 * The same for `auto`, where a service without a Dockerfile runs locally
 * whatever the engine says: the Dockerfile is looked at first, and the
 * engine asked only when there is one.
 */
export async function probeDockerfileFirst(
  config: Config,
  serviceDir: string,
): Promise<{ dockerfile: false } | (DockerProbe & { dockerfile: true })> {
  if (!(await hasDockerfile(serviceDir))) return { dockerfile: false };
  return { dockerfile: true, engine: await engineState(config) };
}
