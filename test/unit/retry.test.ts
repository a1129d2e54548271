import { describe, expect, it } from 'vitest';
import { Backoff, backoffDelay, retry } from '../../core/retry.ts';

describe('backoffDelay', () => {
  it('doubles from the first wait up to the longest, without jitter', () => {
    const o = { firstMs: 100, maxMs: 1000, jitter: 0 };
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, o))).toEqual([100, 200, 400, 800, 1000, 1000]);
  });

  it('spreads each wait by at most the jitter, never past the longest', () => {
    const o = { firstMs: 100, maxMs: 1000, jitter: 0.5 };
    expect(backoffDelay(1, o, () => 0)).toBe(50);
    expect(backoffDelay(1, o, () => 1)).toBe(150);
    expect(backoffDelay(9, o, () => 1)).toBe(1000);
  });

  it('restarts from the first wait after a reset', () => {
    const b = new Backoff({ firstMs: 10, jitter: 0 });
    expect([b.next(), b.next(), b.next()]).toEqual([10, 20, 40]);
    b.reset();
    expect(b.next()).toBe(10);
  });
});

describe('retry', () => {
  const fast = { firstMs: 1, maxMs: 2, jitter: 0 };

  it('retries until the call succeeds, reporting each failure', async () => {
    const seen: number[] = [];
    const result = await retry(
      async (attempt) => {
        if (attempt < 4) throw new Error(`no ${attempt}`);
        return attempt;
      },
      { ...fast, onRetry: (_e, attempt) => seen.push(attempt) },
    );
    expect(result).toBe(4);
    expect(seen).toEqual([1, 2, 3]);
  });

  it('throws at once an error retryIf refuses', async () => {
    let calls = 0;
    const failing = retry(
      async () => {
        calls++;
        throw new TypeError('a bug');
      },
      { ...fast, retryIf: (e) => !(e instanceof TypeError) },
    );
    await expect(failing).rejects.toThrow('a bug');
    expect(calls).toBe(1);
  });

  it('gives up after giveUpAfterMs with the last error', async () => {
    let calls = 0;
    const failing = retry(
      async () => {
        calls++;
        throw new Error(`failure ${calls}`);
      },
      { firstMs: 20, maxMs: 20, jitter: 0, giveUpAfterMs: 50 },
    );
    await expect(failing).rejects.toThrow(/failure [2-3]/);
  });

  it('stops waiting when its signal aborts', async () => {
    const controller = new AbortController();
    const failing = retry(
      async () => {
        throw new Error('down');
      },
      { firstMs: 60_000, signal: controller.signal },
    );
    setTimeout(() => controller.abort(), 20);
    await expect(failing).rejects.toThrow('down');
  });
});
