import type { ResourceUsage } from './types.ts';

/**
 * Samples `read` every `intervalMs` and hands each sample to `record`,
 * one at a time (a slow write delays the next sample instead of piling up).
 * Errors go to `onError` and sampling goes on. Returns a function that stops
 * it and waits for a sample in flight.
 */
export function sampleEvery(
  intervalMs: number,
  read: () => Promise<ResourceUsage | undefined>,
  record: (usage: ResourceUsage) => Promise<void>,
  onError: (error: unknown) => void,
): () => Promise<void> {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> = Promise.resolve();
  const tick = () => {
    inFlight = (async () => {
      try {
        const usage = await read();
        if (usage && !stopped) await record(usage);
      } catch (error) {
        onError(error);
      }
      if (!stopped) timer = setTimeout(tick, intervalMs);
    })();
  };
  tick();
  return async () => {
    stopped = true;
    clearTimeout(timer);
    await inFlight;
  };
}
