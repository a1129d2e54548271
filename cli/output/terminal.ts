import ora, { type Ora } from 'ora';
import pc from 'picocolors';

export type Colors = ReturnType<typeof pc.createColors>;

/** Where and how the CLI writes: colours and spinners on a TTY only, JSON when asked. */
export interface Output {
  json: boolean;
  /** stdout is a terminal: progress with spinners instead of plain lines. */
  tty: boolean;
  colors: Colors;
  /** Log messages are printed with their control characters escaped (stdout is a terminal and no --raw). */
  escapeLogs: boolean;
  out(line: string): void;
  err(line: string): void;
  /** One JSON document (or one JSON line of a stream) on stdout. */
  data(value: unknown): void;
}

type Env = Record<string, string | undefined>;

/** Colour on a TTY only; NO_COLOR (non-empty) turns it off, FORCE_COLOR turns it on. */
export function colorEnabled(tty: boolean, env: Env = process.env): boolean {
  if (env.NO_COLOR) return false;
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== '0';
  return tty && env.TERM !== 'dumb';
}

export function createOutput(options: { json: boolean; raw?: boolean }): Output {
  // A pseudo-terminal without a size (columns 0) cannot host a spinner: ora would redraw forever.
  const tty = Boolean(process.stdout.isTTY) && (process.stdout.columns ?? 0) > 0 && !options.json;
  return {
    json: options.json,
    tty,
    colors: pc.createColors(!options.json && colorEnabled(Boolean(process.stdout.isTTY))),
    escapeLogs: Boolean(process.stdout.isTTY) && !options.raw,
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    data: (value) => process.stdout.write(`${JSON.stringify(value)}\n`),
  };
}

/** A started spinner on stdout when it is a terminal (no colour when colours are off); otherwise none. */
export function spinner(output: Output, text: string): Ora | undefined {
  if (!output.tty) return undefined;
  return ora({
    text,
    stream: process.stdout,
    discardStdin: false,
    color: output.colors.isColorSupported ? 'cyan' : false,
  }).start();
}
