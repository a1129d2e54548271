import {
  createSourceEventStream,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  execute,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';

type Result = ExecutionResult | Promise<ExecutionResult>;

/**
 * Subscription events executed once per operation instead of once per
 * subscriber. The live hub hands the same event object (a log entry, a
 * workload state) to every subscriber of a workload; with 1,000 subscribers,
 * executing the selection set 1,000 times per entry was most of the work of
 * delivering it. Results are memoised per event object (a WeakMap: they go
 * when the event does) and per operation: document, operation name and
 * variables. What a subscription field returns here depends on nothing else
 * (authorization is per connection and all-or-nothing), so subscribers of
 * the same operation share one result, and subscribers with different
 * selections each get their own.
 */
const resultsByEvent = new WeakMap<object, Map<string, Result>>();
const documentIds = new WeakMap<DocumentNode, number>();
let nextDocumentId = 0;

function operationKey(args: ExecutionArgs): string {
  let id = documentIds.get(args.document);
  if (id === undefined) {
    id = nextDocumentId++;
    documentIds.set(args.document, id);
  }
  return `${id}:${args.operationName ?? ''}:${JSON.stringify(args.variableValues ?? null)}`;
}

function executeEvent(args: ExecutionArgs, key: string, event: unknown): Result {
  if (typeof event !== 'object' || event === null) return execute({ ...args, rootValue: event });
  let results = resultsByEvent.get(event);
  if (!results) {
    results = new Map();
    resultsByEvent.set(event, results);
  }
  let result = results.get(key);
  if (!result) {
    result = execute({ ...args, rootValue: event });
    results.set(key, result);
  }
  return result;
}

/** graphql-js `subscribe`, with each event's execution shared as above. */
export async function subscribeSharingEvents(
  args: ExecutionArgs,
): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> {
  const stream = await createSourceEventStream(args);
  if (!(Symbol.asyncIterator in stream)) return stream as ExecutionResult;
  const key = operationKey(args);
  return mapEvents(stream[Symbol.asyncIterator](), (event) => executeEvent(args, key, event));
}

/** An async iterator over `source` that maps each value; return/throw reach the source. */
function mapEvents(
  source: AsyncIterator<unknown>,
  map: (event: unknown) => Result,
): AsyncIterableIterator<ExecutionResult> {
  const step = async (next: Promise<IteratorResult<unknown>>): Promise<IteratorResult<ExecutionResult>> => {
    const item = await next;
    if (item.done) return { done: true, value: undefined };
    return { done: false, value: await map(item.value) };
  };
  const iterator: AsyncIterableIterator<ExecutionResult> = {
    next: () => step(source.next()),
    return: async () => {
      await source.return?.();
      return { done: true, value: undefined };
    },
    throw: async (error?: unknown) => {
      if (source.throw) return step(source.throw(error));
      throw error;
    },
    [Symbol.asyncIterator]: () => iterator,
  };
  return iterator;
}

/** Makes every subscription of the server go through subscribeSharingEvents (other plugins still see each result). */
export function shareSubscriptionExecution(): Plugin {
  return {
    onSubscribe({ setSubscribeFn }) {
      setSubscribeFn(subscribeSharingEvents as never);
    },
  };
}
