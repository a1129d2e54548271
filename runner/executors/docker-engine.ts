import Docker from 'dockerode';
import type { Config } from '../../core/config.ts';

/**
 * How this runner reaches the Docker engine: `DOCKER_HOST` (unix:///path or
 * tcp://host:port, plain HTTP) or the default local socket. The address is
 * passed to dockerode explicitly so that nothing depends on the process
 * environment (docker-modem would otherwise read DOCKER_HOST itself).
 */
export const DEFAULT_DOCKER_HOST = 'unix:///var/run/docker.sock';

export class DockerHostError extends Error {
  override name = 'DockerHostError';
}

/** The engine address as the user wrote it (or the default), for messages. */
export function engineAddress(config: Pick<Config, 'dockerHost'>): string {
  return config.dockerHost ?? DEFAULT_DOCKER_HOST;
}

type ModemOptions = Docker.DockerOptions;

function modemOptions(address: string): ModemOptions {
  if (address.startsWith('unix://')) {
    const socketPath = address.slice('unix://'.length);
    if (!socketPath) throw new DockerHostError(`DOCKER_HOST "${address}" names no socket path`);
    // host/port undefined: otherwise a DOCKER_HOST=tcp://… in the environment would win.
    return { socketPath, host: undefined, port: undefined, protocol: 'http' };
  }
  if (address.startsWith('tcp://') || address.startsWith('http://')) {
    let url: URL;
    try {
      url = new URL(address.replace(/^tcp:/, 'http:'));
    } catch (error) {
      throw new DockerHostError(`DOCKER_HOST "${address}" is not a valid tcp://host:port address`, {
        cause: error,
      });
    }
    return { host: url.hostname, port: url.port || 2375, protocol: 'http', socketPath: undefined };
  }
  throw new DockerHostError(
    `DOCKER_HOST "${address}" is not supported: use unix:///path/to/docker.sock or tcp://host:port`,
  );
}

/**
 * A dockerode client for the configured engine. `timeoutMs` sets an idle
 * timeout on every request: only for short calls (ping), never for the
 * long-lived ones (attach, wait, build).
 */
export function dockerClient(config: Pick<Config, 'dockerHost'>, timeoutMs?: number): Docker {
  const options = modemOptions(engineAddress(config));
  return new Docker(timeoutMs === undefined ? options : { ...options, timeout: timeoutMs });
}

/** The HTTP status of a failed engine call (docker-modem sets `statusCode`), if any. */
export function engineStatus(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

/** The engine's own message for a failed call (its JSON `message`), else the error's message. */
export function engineMessage(error: unknown): string {
  const json = (error as { json?: unknown } | null)?.json;
  if (json && typeof json === 'object' && typeof (json as { message?: unknown }).message === 'string') {
    return (json as { message: string }).message.trim();
  }
  if (typeof json === 'string' && json.trim()) return json.trim();
  return error instanceof Error ? error.message : String(error);
}

/** The engine's reply when there is no such object. */
export const NOT_FOUND = 404;
/** The engine's reply to stop a container that is not running, or start one that is. */
export const NOT_MODIFIED = 304;
/** The engine's reply when an object is in use or being removed already. */
export const CONFLICT = 409;
