import { type LogEntryRow, readLogs } from '../../core/sql/read-logs.ts';
import { getWorkloadRow } from '../../core/sql/transition.ts';
import { notFound } from '../errors.ts';
import { MAX_LOG_ENTRIES_PER_RESPONSE } from '../limits.ts';
import { abortable } from '../live/abortable.ts';
import type { EventBatch } from '../live/event-batch.ts';
import { LogStreamOverflowError } from '../live/log-stream-error.ts';
import {
  LOG_BATCH_DEFAULT,
  LOG_BATCH_MAX,
  LOGS_DEFAULT_PAGE,
  LOGS_MAX_PAGE,
  parseBatchSize,
  parseId,
  parsePageSize,
  parseSeq,
} from '../validation/input.ts';
import { builder } from './builder.ts';
import { LogLevelEnum, WorkloadStageEnum } from './enums.ts';
import { WorkloadLogEntryRef, WorkloadRef } from './refs.ts';

WorkloadLogEntryRef.implement({
  description: 'One line of a workload log. seq is 1, 2, 3… per workload with no gaps.',
  fields: (t) => ({
    seq: t.exposeInt('seq'),
    timestamp: t.expose('timestamp', { type: 'DateTime' }),
    stage: t.field({ type: WorkloadStageEnum, resolve: (e) => e.stage }),
    level: t.field({ type: LogLevelEnum, resolve: (e) => e.level }),
    message: t.exposeString('message'),
  }),
});

builder.objectFields(WorkloadRef, (t) => ({
  logs: t.field({
    type: [WorkloadLogEntryRef],
    description: `Stored entries with seq > after, oldest first (first: default ${LOGS_DEFAULT_PAGE}, at most ${LOGS_MAX_PAGE}; at most ${MAX_LOG_ENTRIES_PER_RESPONSE} across all logs fields of a response).`,
    args: {
      after: t.arg.int(),
      first: t.arg.int(),
      stage: t.arg({ type: WorkloadStageEnum }),
      level: t.arg({ type: LogLevelEnum }),
    },
    resolve: async (w, args, { db, logBudget }) => {
      const limit = parsePageSize(args.first, LOGS_DEFAULT_PAGE, LOGS_MAX_PAGE);
      const after = parseSeq(args.after);
      logBudget.reserve(limit);
      const entries = await readLogs(db.pool, w.id, { after, limit, stage: args.stage, level: args.level });
      logBudget.release(limit - entries.length);
      return entries;
    },
  }),
  logCount: t.int({
    description: 'Number of stored entries (the last seq).',
    resolve: (w) => w.logSeq,
  }),
}));

builder.subscriptionFields((t) => ({
  workloadLogs: t.field({
    type: WorkloadLogEntryRef,
    description:
      'Replays stored entries with seq > after (all when null), then live ones, in seq order with no gap; completes once the workload is terminal and its last entry was sent.',
    args: { workloadId: t.arg.id({ required: true }), after: t.arg.int() },
    subscribe: async (_root, args, { db, live }) => {
      const id = parseId(args.workloadId, 'workloadId');
      const after = parseSeq(args.after);
      if (!(await getWorkloadRow(db.pool, id))) throw notFound('Workload', id);
      // The stream yields EventBatches of entries; the server's subscribe
      // (shareSubscriptionExecution in src/live/shared-execution.ts) resolves
      // each entry of a batch on its own, so `resolve` gets one entry.
      return abortable((signal) =>
        endWithOverflow(live.workloadLogs(id, after, signal)),
      ) as AsyncIterable<unknown> as AsyncIterable<LogEntryRow | LogStreamOverflowError>;
    },
    resolve: (entry) => {
      if (entry instanceof LogStreamOverflowError) throw entry;
      return entry;
    },
  }),
  workloadLogBatches: t.field({
    type: [WorkloadLogEntryRef],
    description: `The stream of workloadLogs (replay of stored entries with seq > after, then live ones, in seq order with no gap or duplicate; completes once the workload is terminal and its last entry was sent), delivered as non-empty batches of at most maxEntries entries (1–${LOG_BATCH_MAX}): one message for many entries. To resume, subscribe again with after: the last seq received.`,
    args: {
      workloadId: t.arg.id({ required: true }),
      after: t.arg.int(),
      maxEntries: t.arg.int({ defaultValue: LOG_BATCH_DEFAULT }),
    },
    subscribe: async (_root, args, { db, live }) => {
      const id = parseId(args.workloadId, 'workloadId');
      const after = parseSeq(args.after);
      const maxEntries = parseBatchSize(args.maxEntries);
      if (!(await getWorkloadRow(db.pool, id))) throw notFound('Workload', id);
      // Each step of the hub's stream is one event: one execution and one message for the whole batch
      // (subscribers in step get the same array, so both are shared; see src/live/shared-execution.ts).
      return abortable((signal) =>
        endWithOverflow(asArrays(live.workloadLogs(id, after, signal, maxEntries))),
      ) as AsyncIterable<unknown> as AsyncIterable<readonly LogEntryRow[] | LogStreamOverflowError>;
    },
    resolve: (batch) => {
      if (batch instanceof LogStreamOverflowError) throw batch;
      return batch;
    },
  }),
}));

/** The hub's batches as plain arrays: each is then one subscription event, not one per entry. */
async function* asArrays(
  batches: AsyncIterable<EventBatch<LogEntryRow>>,
): AsyncGenerator<readonly LogEntryRow[]> {
  for await (const batch of batches) yield batch.events;
}

/**
 * A subscriber closed for falling behind gets its error as the last event
 * (a result with `errors` and its LOG_STREAM_OVERFLOW code), the same over
 * graphql-ws and SSE, instead of a transport-level failure.
 */
async function* endWithOverflow<T>(entries: AsyncIterable<T>): AsyncGenerator<T | LogStreamOverflowError> {
  try {
    yield* entries;
  } catch (error) {
    if (!(error instanceof LogStreamOverflowError)) throw error;
    yield error;
  }
}
