import {
  createSourceEventStream,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  execute,
  print,
} from 'graphql';
import { type CompiledQuery, compileQuery, isCompiledQuery } from 'graphql-jit';
import type { Plugin } from 'graphql-yoga';
import { LogBudget } from '../log-budget.ts';
import { BatchedResults, EventBatch } from './event-batch.ts';

type Result = ExecutionResult | Promise<ExecutionResult>;

/**
 * Subscription events executed once per operation instead of once per
 * subscriber. The live hub hands the same event object (a log entry, a
 * workload state) to every subscriber of a workload; with 1,000 subscribers,
 * executing the selection set 1,000 times per entry was most of the work of
 * delivering it. Results are memoised per event object (on the event: they
 * go when it does) and per operation: document, operation name and
 * variables. What a subscription field returns here depends on nothing else
 * (authorization is per connection and all-or-nothing), so subscribers of
 * the same operation share one result, and subscribers with different
 * selections each get their own.
 */
const RESULTS = Symbol('sharedResults');

/**
 * An event's results, kept on the event itself (it goes when the event
 * does): the first under `key`/`result`, any other operation's in `more`.
 * A WeakMap per event cost more in garbage collection (its entries are
 * ephemerons, traced apart) than the execution it saved.
 */
interface SharedResults {
  key: string;
  result: Result;
  more?: Map<string, Result>;
}
const documentTexts = new WeakMap<DocumentNode, string>();

/** The operation as text (printed once per document object: equal queries parsed apart share results too). */
function operationText(args: ExecutionArgs): string {
  let text = documentTexts.get(args.document);
  if (text === undefined) {
    text = print(args.document);
    documentTexts.set(args.document, text);
  }
  return `${args.operationName ?? ''}\n${text}`;
}

/**
 * Each event of a subscription runs the same selection set on a new root
 * value, so it is compiled once per operation (graphql-jit) instead of
 * interpreted per event: graphql-js would coerce the variables and the root
 * field's arguments again and walk the selection for every log entry, which
 * was most of the API's CPU while a service floods its log. Operations are
 * compiled per schema and operation text (subscribers whose queries are
 * equal share one), at most COMPILED_LIMIT of them, oldest dropped first.
 * An operation graphql-jit cannot compile runs on graphql-js as before.
 */
const COMPILED_LIMIT = 500;
const compiledBySchema = new WeakMap<ExecutionArgs['schema'], Map<string, CompiledQuery | null>>();

function compiledOperation(args: ExecutionArgs, text: string): CompiledQuery | null {
  let compiled = compiledBySchema.get(args.schema);
  if (!compiled) {
    compiled = new Map();
    compiledBySchema.set(args.schema, compiled);
  }
  let query = compiled.get(text);
  if (query === undefined) {
    const result = compileQuery(args.schema, args.document, args.operationName ?? undefined);
    query = isCompiledQuery(result) ? result : null;
    if (compiled.size >= COMPILED_LIMIT) compiled.delete(compiled.keys().next().value as string);
    compiled.set(text, query);
  }
  return query;
}

/**
 * Runs the operation's selection set on one event (its root value). Each
 * event is a response of its own, so it gets its own log budget (see
 * src/log-budget.ts) on a context that otherwise is the operation's.
 */
function eventExecutor(args: ExecutionArgs, text: string): (event: unknown) => Result {
  const compiled = compiledOperation(args, text);
  const context = eventContexts(args.contextValue);
  if (!compiled) return (event) => execute({ ...args, contextValue: context(), rootValue: event });
  return (event) => compiled.query(event, context(), args.variableValues) as Result;
}

/**
 * Per event, a context that is the operation's with a log budget of its
 * own, made only when a field asks for it (few selections read logs in a
 * subscription): Object.create with a property descriptor per event cost
 * 0.7 µs: 4 % of the API's CPU in a profile of the B1 benchmark.
 */
function eventContexts(operationContext: unknown): () => unknown {
  if (typeof operationContext !== 'object' || operationContext === null) return () => operationContext;
  const proto = Object.create(operationContext, {
    logBudget: {
      configurable: true,
      get(this: object) {
        const budget = new LogBudget();
        Object.defineProperty(this, 'logBudget', { value: budget });
        return budget;
      },
    },
  });
  return () => Object.create(proto);
}

function executeEvent(run: (event: unknown) => Result, key: string, event: unknown): Result {
  if (typeof event !== 'object' || event === null || !Object.isExtensible(event)) return run(event);
  const holder = event as { [RESULTS]?: SharedResults };
  const shared = holder[RESULTS];
  if (shared === undefined) {
    const result = run(event);
    holder[RESULTS] = { key, result };
    return result;
  }
  if (shared.key === key) return shared.result;
  shared.more ??= new Map();
  let result = shared.more.get(key);
  if (!result) {
    result = run(event);
    shared.more.set(key, result);
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
  const text = operationText(args);
  const key = `${JSON.stringify(args.variableValues ?? null)}\n${text}`;
  const run = eventExecutor(args, text);
  const batches = Boolean((args.contextValue as { [SENDS_BATCHES]?: boolean } | undefined)?.[SENDS_BATCHES]);
  return resultStream(stream[Symbol.asyncIterator](), (event) => executeEvent(run, key, event), batches);
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
