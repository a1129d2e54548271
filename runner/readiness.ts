import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { throwIfCancelled } from './command.ts';
import { outOfMemoryMessage, type ServiceExit, StageError } from './executors/types.ts';
import { describeExit } from './process-group.ts';

const RETRY_MS = 20;
const ATTEMPT_TIMEOUT_MS = 2_000;

export interface ReadinessCheck {
  host: string;
  port: number;
  /** HTTP path that must answer 2xx; without it the port must accept TCP. */
  healthCheckPath: string | null;
  timeoutMs: number;
  /** Resolves when the service exits (it will never become ready then). */
  exited: Promise<ServiceExit>;
  signal: AbortSignal;
}

/** One connection attempt: true when `host:port` accepts TCP (the benchmarks' baselines use it too). */
export function acceptsTcp(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.setTimeout(ATTEMPT_TIMEOUT_MS);
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}

/** The status code, or the network failure in words. */
async function httpStatus(url: string): Promise<number | string> {
  try {
    const response = await fetch(url, {
      signal: AbortSignal.timeout(ATTEMPT_TIMEOUT_MS),
      redirect: 'manual',
    });
    await response.body?.cancel();
    return response.status;
  } catch (error) {
    const cause = (error as Error).cause as NodeJS.ErrnoException | undefined;
    return cause?.code ?? (error as Error).name;
  }
}

/**
 * Polls until the service is ready: `GET healthCheckPath` answers 2xx
 * (non-2xx is retried), or without a path the port accepts a connection.
 * Throws StageError when the service exits first or `timeoutMs` passes.
 */
export async function waitUntilReady(check: ReadinessCheck): Promise<void> {
  let exit: ServiceExit | undefined;
  void check.exited.then((e) => {
    exit = e;
  });
  const deadline = Date.now() + check.timeoutMs;
  const url = check.healthCheckPath ? `http://${check.host}:${check.port}${check.healthCheckPath}` : null;
  let last: number | string = 'no answer';
  for (;;) {
    throwIfCancelled(check.signal);
    if (exit) throw exitedBeforeReady(exit);
    if (url) {
      last = await httpStatus(url);
      if (typeof last === 'number' && last >= 200 && last < 300) return;
    } else if (await acceptsTcp(check.host, check.port)) {
      return;
    }
    if (exit) throw exitedBeforeReady(exit);
    if (Date.now() >= deadline) {
      const what = url
        ? `GET ${check.healthCheckPath} last answered ${typeof last === 'number' ? `HTTP ${last}` : last}`
        : `nothing accepted connections on port ${check.port}`;
      throw new StageError(`Service was not ready within ${check.timeoutMs} ms: ${what}`);
    }
    // An abort ends the sleep early; the next turn of the loop reports it.
    await sleep(RETRY_MS, undefined, { signal: check.signal }).catch(() => undefined);
  }
}

function exitedBeforeReady(exit: ServiceExit): StageError {
  if (exit.outOfMemoryMb) return new StageError(outOfMemoryMessage(exit.outOfMemoryMb));
  return new StageError(`Service exited before it was ready (${describeExit(exit)})`);
}
