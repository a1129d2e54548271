import {
  createSourceEventStream,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  execute,
  print,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { BatchedResults, EventBatch } from './event-batch.ts';

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
const documentTexts = new WeakMap<DocumentNode, string>();

/** The operation as text (printed once per document object: equal queries parsed apart share results too). */
function operationKey(args: ExecutionArgs): string {
  let text = documentTexts.get(args.document);
  if (text === undefined) {
    text = print(args.document);
    documentTexts.set(args.document, text);
  }
  return `${args.operationName ?? ''}\n${JSON.stringify(args.variableValues ?? null)}\n${text}`;
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

/**
 * Set on the context by a transport that unrolls BatchedResults itself; any
 * other (SSE) gets the results of a batch one by one.
 */
export const SENDS_BATCHES = Symbol('sendsBatches');

/** graphql-js `subscribe`, with each event's execution shared as above and EventBatches unrolled. */
export async function subscribeSharingEvents(
  args: ExecutionArgs,
): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> {
  const stream = await createSourceEventStream(args);
  if (!(Symbol.asyncIterator in stream)) return stream as ExecutionResult;
  const key = operationKey(args);
  const batches = Boolean((args.contextValue as { [SENDS_BATCHES]?: boolean } | undefined)?.[SENDS_BATCHES]);
  return resultStream(stream[Symbol.asyncIterator](), (event) => executeEvent(args, key, event), batches);
}

/**
 * The results of `source`'s events. An EventBatch whose results are all ready
 * and free of errors becomes one BatchedResults step when the transport
 * takes those; otherwise its results are queued and handed out one per step.
 * return/throw reach the source.
 */
function resultStream(
  source: AsyncIterator<unknown>,
  execute: (event: unknown) => Result,
  batches: boolean,
): AsyncIterableIterator<ExecutionResult> {
  const queued: Result[] = [];
  const step = async (): Promise<IteratorResult<ExecutionResult>> => {
    while (queued.length === 0) {
      const item = await source.next();
      if (item.done) return { done: true, value: undefined };
      if (!(item.value instanceof EventBatch)) return { done: false, value: await execute(item.value) };
      const results = item.value.events.map(execute);
      if (batches && results.length > 1 && results.every(isPlainSuccess)) {
        return { done: false, value: new BatchedResults(results as object[]) as ExecutionResult };
      }
      queued.push(...results);
    }
    return { done: false, value: await (queued.shift() as Result) };
  };
  const iterator: AsyncIterableIterator<ExecutionResult> = {
    next: step,
    return: async () => {
      queued.length = 0;
      await source.return?.();
      return { done: true, value: undefined };
    },
    throw: async (error?: unknown) => {
      queued.length = 0;
      if (source.throw) await source.throw(error);
      throw error;
    },
    [Symbol.asyncIterator]: () => iterator,
  };
  return iterator;
}

function isPlainSuccess(result: Result): boolean {
  return !(result instanceof Promise) && result.errors === undefined;
}

/** Makes every subscription of the server go through subscribeSharingEvents (other plugins still see each result). */
export function shareSubscriptionExecution(): Plugin {
  return {
    onSubscribe({ setSubscribeFn }) {
      setSubscribeFn(subscribeSharingEvents as never);
    },
  };
}
