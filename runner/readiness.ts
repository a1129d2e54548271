import { setTimeout as sleep } from 'node:timers/promises';
import { throwIfCancelled } from './command.ts';
import { outOfMemoryMessage, type ServiceExit, StageError } from './executors/types.ts';
import { probe } from './health/probe.ts';
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
export async function acceptsTcp(host: string, port: number): Promise<boolean> {
  return (await probe({ host, port, path: null }, ATTEMPT_TIMEOUT_MS)).ok;
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
  const target = { host: check.host, port: check.port, path: check.healthCheckPath };
  let last: number | string = 'no answer';
  for (;;) {
    throwIfCancelled(check.signal);
    if (exit) throw exitedBeforeReady(exit);
    const result = await probe(target, ATTEMPT_TIMEOUT_MS);
    if (result.ok) return;
    last = result.answer;
    if (exit) throw exitedBeforeReady(exit);
    if (Date.now() >= deadline) {
      const what = check.healthCheckPath
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
