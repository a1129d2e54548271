import type { Readable } from 'node:stream';
import { Writable } from 'node:stream';
import type { LogLevel, WorkloadStage } from '../../core/stages.ts';
import type { StageOf } from './types.ts';
import { LineSplitter } from './utf8-lines.ts';

/** What the line inputs need of the log writer. */
export interface LineQueue {
  /** Queues one line of output. */
  output(ts: number, stage: WorkloadStage, level: LogLevel, message: string): void;
  /** Undefined while there is room for more; otherwise resolves once there is. */
  space(): Promise<void> | undefined;
}

function stageSource(stage: StageOf): () => WorkloadStage {
  return typeof stage === 'function' ? stage : () => stage;
}

/**
 * Bytes in, lines out: each chunk goes through the one LineSplitter, its
 * lines get one timestamp and the stage current when the chunk arrived (a
 * line that straddles a stage change is logged under the later stage), and
 * nothing more is taken while the queue is full.
 */
class LineInput {
  private readonly splitter = new LineSplitter();
  private readonly stageNow: () => WorkloadStage;

  constructor(
    private readonly queue: LineQueue,
    stage: StageOf,
    private readonly level: LogLevel,
  ) {
    this.stageNow = stageSource(stage);
  }

  /** Queues the lines the chunk completes; a promise when the producer must wait. */
  push(chunk: Uint8Array | string): Promise<void> | undefined {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    this.emit(this.splitter.push(bytes));
    return this.queue.space();
  }

  /** Queues the last line, if it had no newline. */
  end(): void {
    this.emit(this.splitter.end());
  }

  private emit(lines: string[]): void {
    if (lines.length === 0) return;
    const ts = Date.now();
    const stage = this.stageNow();
    for (const line of lines) this.queue.output(ts, stage, this.level, line);
  }
}

/**
 * Reads `stream` chunk by chunk into the queue. While the queue is full the
 * stream is not read: its buffer fills and the writing process blocks on
 * its pipe. A stream destroyed before its end (its process is gone) keeps
 * what arrived.
 */
export async function pipeLines(
  queue: LineQueue,
  stream: Readable,
  stage: StageOf,
  level: LogLevel,
): Promise<void> {
  const input = new LineInput(queue, stage, level);
  try {
    for await (const chunk of stream) {
      const wait = input.push(chunk as Buffer | string);
      if (wait) await wait;
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ERR_STREAM_PREMATURE_CLOSE') throw error;
  } finally {
    input.end();
  }
}

/**
 * A Writable into the queue: each write's callback waits while the queue is
 * full, so the Writable's own buffer (16 KiB) fills, `write()` answers false
 * and a producer that honours it waits for 'drain'. Ending or destroying it
 * queues a last line without a newline.
 */
export function linesWritable(queue: LineQueue, stage: StageOf, level: LogLevel): Writable {
  const input = new LineInput(queue, stage, level);
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    input.end();
  };
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      const wait = input.push(chunk);
      if (wait) wait.then(() => done(), done);
      else done();
    },
    final(done) {
      end();
      done();
    },
    destroy(error, done) {
      end();
      done(error);
    },
  });
}
