import { setTimeout as sleep } from 'node:timers/promises';
import { type ProbeTarget, probe } from './probe.ts';

/**
 * The periodic health check of a running service, as data (the deployment's
 * settings): where to look, how often, how long one look may take, and how
 * many failed looks in a row make the service unhealthy.
 */
export interface HealthCheck {
  target: ProbeTarget;
  /** Time from the start of one probe to the start of the next; 0: no checks. */
  intervalMs: number;
  timeoutMs: number;
  failureThreshold: number;
}

/** The end of a health check: `threshold` failures in a row, the last one's reason. */
export interface Unhealthy {
  failures: number;
  reason: string;
}

/**
 * The prober: one loop over a HealthCheck. Probes at a fixed rate (the
 * first probe one interval after the start; a probe never overlaps the next
 * since the timeout is shorter than the interval), counts failures in a
 * row, reports each one, and resets the count on a success. Resolves with
 * the last failure once `failureThreshold` are in a row, or undefined when
 * `signal` aborts (the service ended or is being stopped).
 */
export async function watchHealth(
  check: HealthCheck,
  signal: AbortSignal,
  onFailure: (failures: number, threshold: number, reason: string) => void,
): Promise<Unhealthy | undefined> {
  if (check.intervalMs <= 0) return undefined;
  let failures = 0;
  let next = performance.now() + check.intervalMs;
  for (;;) {
    if (!(await pause(next - performance.now(), signal))) return undefined;
    next += check.intervalMs;
    const result = await probe(check.target, check.timeoutMs);
    if (signal.aborted) return undefined;
    if (result.ok) {
      failures = 0;
    } else {
      failures++;
      onFailure(failures, check.failureThreshold, result.reason);
      if (failures >= check.failureThreshold) return { failures, reason: result.reason };
    }
    // A probe that ran late (a busy event loop) does not make the next ones bunch up.
    const now = performance.now();
    if (next < now) next = now;
  }
}

/** Waits `ms` (at least 0); false when `signal` aborted first. */
async function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return false;
  try {
    await sleep(Math.max(0, ms), undefined, { signal });
    return true;
  } catch {
    return false;
  }
}
