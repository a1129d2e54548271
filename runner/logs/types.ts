import type { Readable } from 'node:stream';
import type { LogLevel, WorkloadStage } from '../../core/stages.ts';

/**
 * Where a workload's log entries go (docs/architecture.md, "Log pipeline"). One LogSink per workload,
 * owned by the runner that claimed it. Entries are batched into multi-row
 * INSERTs with contiguous seq and one NOTIFY per batch.
 */
export interface LogSink {
  /** Queues one entry (a message with newlines stays one entry). */
  write(stage: WorkloadStage, level: LogLevel, message: string): void;
  /**
   * Splits a byte stream into lines, one entry per line however the bytes
   * arrive in chunks. Resolves when the stream ends and every line is queued.
   * Applies back-pressure to the stream when the database falls behind.
   */
  pipe(stream: Readable, stage: WorkloadStage, level: LogLevel): Promise<void>;
  /** Resolves once every entry queued so far is committed. */
  flush(): Promise<void>;
  /** Flushes and stops the timer; later writes are an error. */
  close(): Promise<void>;
}
