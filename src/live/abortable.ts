/**
 * Runs `source(signal)` and gives back an iterator whose `return()` (a client
 * unsubscribing, a socket closing) aborts `signal` at once, so a generator
 * parked in an await wakes up instead of holding resources until its next
 * value.
 */
export function abortable<T>(source: (signal: AbortSignal) => AsyncIterable<T>): AsyncIterableIterator<T> {
  const controller = new AbortController();
  const inner = source(controller.signal)[Symbol.asyncIterator]();
  const iterator: AsyncIterableIterator<T> = {
    next: () => inner.next(),
    return: async (value?: unknown) => {
      controller.abort();
      await inner.return?.(value);
      return { done: true, value: undefined };
    },
    throw: async (error?: unknown) => {
      controller.abort();
      if (inner.throw) return inner.throw(error);
      throw error;
    },
    [Symbol.asyncIterator]: () => iterator,
  };
  return iterator;
}
