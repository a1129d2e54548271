import type { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger } from 'pino';

/**
 * Where secrets could appear in a log object: the API token, authorization
 * headers, database URLs and passwords, and the values of a deployment's
 * env. pino removes them before a line is written.
 */
export const REDACTED_PATHS = [
  'token',
  'apiToken',
  '*.apiToken',
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'headers.cookie',
  '*.headers.cookie',
  'password',
  '*.password',
  'databaseUrl',
  '*.databaseUrl',
  'env[*].value',
  '*.env[*].value',
];

export interface LoggerOptions {
  /** Where lines go (default stdout). */
  destination?: Writable;
  /** Readable lines instead of JSON (default: when stdout is a terminal). */
  pretty?: boolean;
  level?: string;
}

/**
 * The process's one logger: JSON lines (one object per line) when stdout is
 * not a terminal, readable lines on one. Units of work log through
 * `logger.child({ workloadId, stage, runnerId })` so every line about a
 * workload carries its ids.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? process.env.LOG_LEVEL ?? 'info';
  const base = {
    level,
    base: { pid: process.pid },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  const usePretty = options.pretty ?? (!options.destination && process.stdout.isTTY === true);
  if (usePretty) {
    return pino(base, pretty({ colorize: true, sync: true, destination: options.destination ?? 1 }));
  }
  return pino(base, options.destination ?? pino.destination({ dest: 1, sync: true }));
}

/** A logger that writes nothing (the default where no logger is given). */
export const silentLogger: Logger = pino({ level: 'silent' });

/** The `(line) => void` shape some modules take, writing to `logger` at `level`. */
export function lineWriter(
  logger: Logger,
  level: 'info' | 'warn' | 'error' = 'info',
): (line: string) => void {
  return (line) => logger[level](line);
}
