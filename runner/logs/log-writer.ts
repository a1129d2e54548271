import type { Readable } from 'node:stream';
import type pg from 'pg';
import { insertLogBatch, type LogEntryInput } from '../../src/sql/insert-logs.ts';
import type { LogLevel, WorkloadStage } from '../../src/stages.ts';
import type { LogSink } from './types.ts';

const FLUSH_AFTER_MS = 5;
const MAX_BATCH = 500;

/** Batches a workload's entries: flushed after a few ms or MAX_BATCH entries, whichever first. */
export function createLogWriter(pool: pg.Pool, workloadId: string): LogSink {
  let queue: LogEntryInput[] = [];
  let timer: NodeJS.Timeout | undefined;
  let chain: Promise<void> = Promise.resolve();
  let closed = false;
  let failure: unknown;

  const flushNow = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (queue.length === 0) return chain;
    const batch = queue;
    queue = [];
    chain = chain.then(() =>
      insertLogBatch(pool, workloadId, batch).then(
        () => undefined,
        (error) => {
          failure ??= error;
        },
      ),
    );
    return chain;
  };

  const sink: LogSink = {
    write(stage: WorkloadStage, level: LogLevel, message: string) {
      if (closed) throw new Error('Log writer is closed');
      queue.push({ ts: new Date(), stage, level, message });
      if (queue.length >= MAX_BATCH) void flushNow();
      else timer ??= setTimeout(flushNow, FLUSH_AFTER_MS);
    },
    async pipe(stream: Readable, stage: WorkloadStage, level: LogLevel) {
      let rest = '';
      stream.setEncoding('utf8');
      for await (const chunk of stream) {
        const lines = (rest + chunk).split('\n');
        rest = lines.pop() ?? '';
        for (const line of lines) sink.write(stage, level, line.replace(/\r$/, ''));
        if (queue.length >= MAX_BATCH) await flushNow();
      }
      if (rest) sink.write(stage, level, rest);
    },
    async flush() {
      await flushNow();
      if (failure) throw failure;
    },
    async close() {
      closed = true;
      await sink.flush();
    },
  };
  return sink;
}
