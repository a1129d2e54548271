import { describe, expect, it } from 'vitest';
import { planRestart, RESET_AFTER_MS, restartBackoffMs } from '../../runner/restart/restart-plan.ts';

describe('restartBackoffMs', () => {
  it('doubles from 1 s and stops at 5 min', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map(restartBackoffMs)).toEqual([
      1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 64_000, 128_000, 256_000, 300_000,
    ]);
    expect(restartBackoffMs(100)).toBe(300_000);
    expect(restartBackoffMs(10_000)).toBe(300_000);
  });
});

describe('planRestart', () => {
  const end = { stage: 'failed' as const, stopRequested: false, ranMs: 1_000, attempt: 1, restartCount: 0 };

  it('never: no restart', () => {
    expect(planRestart('never', 5, end)).toEqual({ restart: null, why: null });
  });

  it('on_failure: a failure is restarted with the next attempt and backoff, a stop is not', () => {
    expect(planRestart('on_failure', 5, end)).toEqual({
      restart: { attempt: 2, restartCount: 1, delayMs: 1_000 },
    });
    expect(planRestart('on_failure', 5, { ...end, attempt: 3, restartCount: 2 })).toEqual({
      restart: { attempt: 4, restartCount: 3, delayMs: 4_000 },
    });
    expect(planRestart('on_failure', 5, { ...end, stage: 'stopped' })).toEqual({ restart: null, why: null });
  });

  it('always: every ending but a stop request', () => {
    expect(planRestart('always', 5, { ...end, stage: 'stopped' }).restart).toMatchObject({ attempt: 2 });
    expect(planRestart('always', 5, { ...end, stage: 'stopped', stopRequested: true })).toEqual({
      restart: null,
      why: null,
    });
  });

  it('gives up after maxRestarts in a row, and says so', () => {
    expect(planRestart('on_failure', 2, { ...end, attempt: 3, restartCount: 2 })).toEqual({
      restart: null,
      why: 'Not restarting: 2 restarts in a row already (maxRestarts 2)',
    });
    expect(planRestart('on_failure', 0, end).restart).toBeNull();
  });

  it('starts the count again after 10 minutes of running', () => {
    const long = { ...end, attempt: 7, restartCount: 6, ranMs: RESET_AFTER_MS };
    expect(planRestart('on_failure', 2, long)).toEqual({
      restart: { attempt: 8, restartCount: 1, delayMs: 1_000 },
    });
    expect(planRestart('on_failure', 2, { ...long, ranMs: RESET_AFTER_MS - 1 }).restart).toBeNull();
  });
});
