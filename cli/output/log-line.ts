import type { LogEntryFieldsFragment } from '../../sdk/index.ts';
import { clock } from './format.ts';
import type { Output } from './terminal.ts';

/**
 * `[HH:MM:SS.mmm] [stage] message`, the message coloured by level when
 * colours are on. On a terminal the message's control characters are
 * shown escaped (`\x1b`, `\r`…): a service's output must not drive the
 * operator's terminal (set its clipboard with OSC 52, move the cursor to
 * overwrite a line with a fake one). `--raw` prints them as stored.
 */
export function formatLogLine(
  entry: LogEntryFieldsFragment,
  output: Pick<Output, 'colors' | 'escapeLogs'>,
): string {
  const { colors } = output;
  const text = output.escapeLogs ? escapeControls(entry.message) : entry.message;
  const prefix = colors.dim(`[${clock(entry.timestamp)}] [${entry.stage}]`);
  const message =
    entry.level === 'error' ? colors.red(text) : entry.level === 'warn' ? colors.yellow(text) : text;
  return `${prefix} ${message}`;
}

const NAMED: Record<string, string> = { '\r': '\\r', '\n': '\\n', '\b': '\\b', '\f': '\\f', '\v': '\\v' };

/** C0 controls but tab, DEL and C1 controls as visible escapes; the backslash itself stays as it is. */
export function escapeControls(text: string): string {
  return text.replace(/[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/g, (char) => {
    return NAMED[char] ?? `\\x${char.charCodeAt(0).toString(16).padStart(2, '0')}`;
  });
}
