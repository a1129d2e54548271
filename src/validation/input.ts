import { badInput } from '../errors.ts';

/**
 * Checks for client input. Each throws a BAD_USER_INPUT ApiError whose
 * message says what was wrong and what was expected; none touches the
 * database, so bad input never gets as far as a write.
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function parseId(value: string, field = 'id'): string {
  if (!UUID.test(value)) {
    throw badInput(
      `${field} "${preview(value)}" is not a valid id: expected a UUID such as 123e4567-e89b-12d3-a456-426614174000`,
      field,
    );
  }
  return value.toLowerCase();
}

export const MAX_NAME_LENGTH = 200;

export function parseName(value: string, field: string): string {
  const name = value.trim();
  if (name.length === 0)
    throw badInput(`${field} must not be empty: expected 1–${MAX_NAME_LENGTH} characters`, field);
  if (name.length > MAX_NAME_LENGTH) {
    throw badInput(`${field} is ${name.length} characters long: expected at most ${MAX_NAME_LENGTH}`, field);
  }
  if (/[\u0000-\u001f\u007f]/.test(name))
    throw badInput(`${field} must not contain control characters`, field);
  return name;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const MAX_ENV_VARS = 500;
const MAX_ENV_VALUE = 64 * 1024;

export function parseEnv(vars: readonly { name: string; value: string }[] | null | undefined) {
  const list = vars ?? [];
  if (list.length > MAX_ENV_VARS)
    throw badInput(`env has ${list.length} variables: expected at most ${MAX_ENV_VARS}`, 'env');
  const seen = new Set<string>();
  for (const { name, value } of list) {
    if (!ENV_NAME.test(name)) {
      throw badInput(
        `env name "${preview(name)}" is invalid: expected letters, digits and _ not starting with a digit`,
        'env',
      );
    }
    if (seen.has(name))
      throw badInput(`env name "${name}" appears more than once: each name may be given once`, 'env');
    if (value.includes('\u0000'))
      throw badInput(`env ${name} contains a NUL byte, which no process can receive`, 'env');
    if (Buffer.byteLength(value) > MAX_ENV_VALUE) throw badInput(`env ${name} is longer than 64 KiB`, 'env');
    seen.add(name);
  }
  return list.map(({ name, value }) => ({ name, value }));
}

export function parseHealthCheckPath(value: string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  if (!value.startsWith('/') || value.startsWith('//')) {
    throw badInput(
      `healthCheckPath "${preview(value)}" must be a path starting with a single "/", such as /health`,
      'healthCheckPath',
    );
  }
  if (value.length > 2048 || /[\s\u0000-\u001f\u007f#]/.test(value)) {
    throw badInput(
      'healthCheckPath must be at most 2048 characters with no spaces, control characters or "#"',
      'healthCheckPath',
    );
  }
  return value;
}

export const LOGS_DEFAULT_PAGE = 1000;
export const LOGS_MAX_PAGE = 10_000;
export const WORKLOADS_DEFAULT_PAGE = 50;
export const WORKLOADS_MAX_PAGE = 500;

export function parsePageSize(
  value: number | null | undefined,
  fallback: number,
  max: number,
  field = 'first',
): number {
  if (value === null || value === undefined) return fallback;
  if (value < 0 || value > max) throw badInput(`${field} must be from 0 to ${max}, got ${value}`, field);
  return value;
}

/** workloadLogBatches: entries per message by default, and at most. */
export const LOG_BATCH_DEFAULT = 1000;
export const LOG_BATCH_MAX = 5000;

/** maxEntries of workloadLogBatches: 1 to LOG_BATCH_MAX (null: the default). */
export function parseBatchSize(value: number | null | undefined, field = 'maxEntries'): number {
  if (value === null || value === undefined) return LOG_BATCH_DEFAULT;
  if (value < 1 || value > LOG_BATCH_MAX)
    throw badInput(`${field} must be from 1 to ${LOG_BATCH_MAX} entries per batch, got ${value}`, field);
  return value;
}

export function parseSeq(value: number | null | undefined, field = 'after'): number {
  if (value === null || value === undefined) return 0;
  if (value < 0) throw badInput(`${field} must be a log seq of 0 or more, got ${value}`, field);
  return value;
}

/** A short, printable excerpt of client input for an error message. */
export function preview(value: string): string {
  const flat = value.replace(/[\u0000-\u001f\u007f]/g, '?');
  return flat.length > 60 ? `${flat.slice(0, 57)}...` : flat;
}
