import type { Readable, Writable } from 'node:stream';
import type { LogLevel, WorkloadStage } from '../../core/stages.ts';

/** The stage a line is logged under: fixed, or asked as its bytes arrive (a service prints across stages). */
export type StageOf = WorkloadStage | (() => WorkloadStage);

/**
 * Where a workload's log entries go (docs/architecture.md, "Log pipeline").
 * One LogSink per workload, owned by the runner that claimed it: the one ingest path of
 * every executor. Output (commands, services, `docker build`, containers)
 * comes in as bytes through `pipe` or `lines`, is split into lines by the
 * one line splitter (utf8-lines.ts), tagged with its stage and level, and
 * slows its producer down while the log cannot keep up. The runner's own
 * messages come in through `write`.
 */
export interface LogSink {
  /** Queues one entry (a message with newlines stays one entry). Never waits, so past a bound it drops and says so. */
  write(stage: WorkloadStage, level: LogLevel, message: string): void;
  /**
   * Reads a byte stream to its end, one entry per line however the bytes
   * arrive in chunks. Stops reading while the log is behind, so the writing
   * process blocks on its pipe. Resolves when every line is queued.
   */
  pipe(stream: Readable, stage: StageOf, level: LogLevel): Promise<void>;
  /**
   * The same as a Writable, for output that is pushed rather than read (a
   * container's demultiplexed stdout or stderr, `docker build`'s stream):
   * its write callback waits while the log is behind, so `write()` returns
   * false and a producer that honours it waits for 'drain'. `end()` it to
   * queue a last line without a newline.
   */
  lines(stage: StageOf, level: LogLevel): Writable;
  /** Resolves once every entry queued so far is committed. */
  flush(): Promise<void>;
  /** Flushes and stops the timer; later writes are an error. */
  close(): Promise<void>;
}
