import type { RestartPolicy } from '../../core/stages.ts';

/** The first restart waits this long; each one after it twice as long as the one before… */
export const FIRST_BACKOFF_MS = 1_000;
/** …up to this. */
export const MAX_BACKOFF_MS = 5 * 60_000;
/** A workload that ran this long starts the count of restarts in a row again. */
export const RESET_AFTER_MS = 10 * 60_000;

/** The wait before the `n`th restart in a row (n ≥ 1): 1 s, 2 s, 4 s … 5 min. */
export function restartBackoffMs(n: number): number {
  if (n < 1) return 0;
  // 2 ** 19 s is far past the cap; larger exponents only risk Infinity.
  return Math.min(FIRST_BACKOFF_MS * 2 ** Math.min(n - 1, 19), MAX_BACKOFF_MS);
}

/** How a running workload ended, as the restart policy sees it. */
export interface RunningEnd {
  /** failed: crash, health, memory; stopped: a stop request or the runner's shutdown. */
  stage: 'stopped' | 'failed';
  /** A user asked for the stop (stopWorkload): never restarted. */
  stopRequested: boolean;
  /** Time it spent running. */
  ranMs: number;
  attempt: number;
  /** Restarts in a row up to the ended workload (0 for one a client created). */
  restartCount: number;
}

export interface RestartPlan {
  attempt: number;
  restartCount: number;
  delayMs: number;
}

/** Why no restart, or the restart to schedule. */
export type RestartDecision = { restart: RestartPlan } | { restart: null; why: string | null };

/**
 * The restart policy (`never | on_failure | always`, `maxRestarts`) applied
 * to a workload that ended in running. `why` is a line for the ended
 * workload's log when a restart was wanted but not allowed, null when none
 * was wanted.
 */
export function planRestart(policy: RestartPolicy, maxRestarts: number, end: RunningEnd): RestartDecision {
  const wanted = policy === 'always' ? !end.stopRequested : policy === 'on_failure' && end.stage === 'failed';
  if (!wanted) return { restart: null, why: null };
  const restartCount = end.ranMs >= RESET_AFTER_MS ? 1 : end.restartCount + 1;
  if (restartCount > maxRestarts) {
    return {
      restart: null,
      why: `Not restarting: ${end.restartCount} restart${end.restartCount === 1 ? '' : 's'} in a row already (maxRestarts ${maxRestarts})`,
    };
  }
  return { restart: { attempt: end.attempt + 1, restartCount, delayMs: restartBackoffMs(restartCount) } };
}
