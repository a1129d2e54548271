import { once } from 'node:events';
import { PassThrough, type Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { LogLevel, WorkloadStage } from '../core/stages.ts';
import type { LogSink } from './logs/types.ts';

/**
 * Streams a long-lived process's output into the log under the stage the
 * workload is in when each chunk arrives (a service prints during `deploy`
 * and keeps printing once `running`). Each stage gets its own `sink.pipe`,
 * so line splitting, decoding and back-pressure stay the sink's; a line
 * that straddles the moment of a stage change becomes two entries.
 * Resolves when the source ends and every line is queued.
 */
export async function pipeByStage(
  sink: LogSink,
  source: Readable,
  level: LogLevel,
  stageOf: () => WorkloadStage,
): Promise<void> {
  let stage = stageOf();
  let target = new PassThrough();
  const pipes = [sink.pipe(target, stage, level)];
  const router = new Writable({
    write(chunk: Buffer, _encoding, done) {
      const now = stageOf();
      if (now !== stage) {
        target.end();
        stage = now;
        target = new PassThrough();
        pipes.push(sink.pipe(target, stage, level));
      }
      if (target.write(chunk)) done();
      else once(target, 'drain').then(() => done(), done);
    },
    final(done) {
      target.end();
      done();
    },
  });
  try {
    await pipeline(source, router);
  } catch (error) {
    target.end();
    // The source was destroyed (its process is gone): keep what arrived.
    if ((error as NodeJS.ErrnoException).code !== 'ERR_STREAM_PREMATURE_CLOSE') throw error;
  }
  await Promise.all(pipes);
}
