import { setTimeout as sleep } from 'node:timers/promises';

/**
 * The one backoff policy: waits that double from `firstMs` up to `maxMs`,
 * each spread by ±`jitter` (a fraction) so that many clients cut off by the
 * same outage do not come back in step. Every retry loop in the project
 * (LISTEN reconnects, stage changes that must be recorded, log batches, the
 * live feeds' re-reads) takes its waits from here.
 */
export interface BackoffOptions {
  /** First wait (default 100 ms). */
  firstMs?: number;
  /** Longest wait (default 5 s). */
  maxMs?: number;
  /** Growth per attempt (default 2). */
  factor?: number;
  /** Spread of each wait, 0 to 1 (default 0.2: ±20 %). */
  jitter?: number;
}

const DEFAULTS = { firstMs: 100, maxMs: 5_000, factor: 2, jitter: 0.2 };

/** The wait before retry number `attempt` (1 for the first retry). */
export function backoffDelay(attempt: number, options: BackoffOptions = {}, random = Math.random): number {
  const o = { ...DEFAULTS, ...options };
  const base = Math.min(o.firstMs * o.factor ** Math.max(0, attempt - 1), o.maxMs);
  const spread = base * o.jitter * (random() * 2 - 1);
  return Math.max(0, Math.round(Math.min(base + spread, o.maxMs)));
}

/** A backoff with state, for loops driven by timers or events: `next()` after a failure, `reset()` after a success. */
export class Backoff {
  private attempt = 0;
  constructor(private readonly options: BackoffOptions = {}) {}

  /** Failures since the last reset. */
  get failures(): number {
    return this.attempt;
  }

  next(): number {
    this.attempt++;
    return backoffDelay(this.attempt, this.options);
  }

  reset(): void {
    this.attempt = 0;
  }
}

export interface RetryOptions extends BackoffOptions {
  /** Whether an error is worth another attempt (default: every error). */
  retryIf?: (error: unknown) => boolean;
  /** Stop retrying once this long has passed since the first attempt (default: never). */
  giveUpAfterMs?: number;
  /** Abort between attempts: the wait ends and the last error is thrown. */
  signal?: AbortSignal;
  /** Told about each failure that will be retried. */
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
}

/**
 * Calls `fn` until it resolves, waiting `backoffDelay` between attempts.
 * Throws the last error when `retryIf` says no, when `giveUpAfterMs` has
 * passed, or when `signal` aborts.
 */
export async function retry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const started = Date.now();
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (error) {
      if (options.retryIf && !options.retryIf(error)) throw error;
      if (options.signal?.aborted) throw error;
      const delay = backoffDelay(attempt, options);
      if (options.giveUpAfterMs !== undefined && Date.now() - started + delay > options.giveUpAfterMs) {
        throw error;
      }
      options.onRetry?.(error, attempt, delay);
      try {
        await sleep(delay, undefined, { signal: options.signal });
      } catch {
        throw error;
      }
    }
  }
}
