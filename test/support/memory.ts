import { setImmediate as nextTurn } from 'node:timers/promises';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';

v8.setFlagsFromString('--expose-gc');
/** V8's full collection, made callable without starting node with --expose-gc. */
const collect = runInNewContext('gc') as () => void;

/**
 * Live bytes of what JavaScript holds: the heap (strings, objects) and
 * Buffers, after two full collections a turn apart (a Buffer's memory is
 * freed after the collection that finds it unused).
 */
async function live(): Promise<number> {
  collect();
  await nextTurn();
  collect();
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return heapUsed + arrayBuffers;
}

/**
 * The most memory this process held live (JavaScript heap and Buffers)
 * above where it was when measuring started, sampled every 250 ms after full
 * garbage collections: what is kept, not garbage that happens not to have
 * been collected yet. `stop()` resolves with it in bytes.
 */
export async function measureLiveMemory(): Promise<{ stop(): Promise<number> }> {
  const base = await live();
  let peak = base;
  let sampling: Promise<void> | undefined;
  const sample = () => {
    sampling ??= live().then((bytes) => {
      peak = Math.max(peak, bytes);
      sampling = undefined;
    });
    return sampling;
  };
  const timer = setInterval(sample, 250);
  return {
    async stop() {
      clearInterval(timer);
      await sampling;
      await sample();
      return peak - base;
    },
  };
}
