import type { LogEntryFieldsFragment } from '../../sdk/index.ts';
import { clock } from './format.ts';
import type { Colors } from './terminal.ts';

/** `[HH:MM:SS.mmm] [stage] message`, the message coloured by level when colours are on. */
export function formatLogLine(entry: LogEntryFieldsFragment, colors: Colors): string {
  const prefix = colors.dim(`[${clock(entry.timestamp)}] [${entry.stage}]`);
  const message =
    entry.level === 'error'
      ? colors.red(entry.message)
      : entry.level === 'warn'
        ? colors.yellow(entry.message)
        : entry.message;
  return `${prefix} ${message}`;
}
