import { Writable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import type { LogLevel } from '../../core/stages.ts';
import type { StageContext } from './types.ts';

/**
 * A writable that turns a container's demultiplexed stdout or stderr into log
 * entries, one per line, however the frames split the bytes (UTF-8 decoded
 * across chunk boundaries). Each line is logged under the stage current when
 * it arrives, so output printed while starting is `deploy` and later output
 * is `running`.
 */
export function containerOutput(ctx: Pick<StageContext, 'log' | 'stage'>, level: LogLevel): Writable {
  const decoder = new StringDecoder('utf8');
  let rest = '';
  const emit = (text: string) => {
    const lines = (rest + text).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) ctx.log.write(ctx.stage(), level, line.replace(/\r$/, ''));
  };
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      emit(decoder.write(chunk));
      callback();
    },
    final(callback) {
      emit(decoder.end());
      if (rest) ctx.log.write(ctx.stage(), level, rest.replace(/\r$/, ''));
      rest = '';
      callback();
    },
  });
}
