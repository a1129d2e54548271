import { badInput } from '../errors.ts';

/**
 * Checks for client input. Each throws a BAD_USER_INPUT ApiError whose
 * message says what was wrong and what was expected; none touches the
 * database, so bad input never gets as far as a write.
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

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
/** The whole env of a deployment (names and values, UTF-8): docs/containment.md. */
export const MAX_ENV_BYTES = 128 * 1024;

/**
 * Names a deployment may not set: those the runner sets itself, and those
 * that change how programs are loaded or run before the service's own code
 * (the dynamic loader's, and Node's `NODE_OPTIONS`, which can preload any
 * code into every `node` of the build). The sandbox is the real defence;
 * this list keeps the obvious levers out of reach of its set-up commands.
 */
const RUNNER_NAMES = new Set(['PORT', 'HOST', 'PATH', 'HOME', 'NODE_OPTIONS']);
const LOADER_PREFIXES = ['LD_', 'DYLD_'];

export function refusedEnvName(name: string): string | undefined {
  const upper = name.toUpperCase();
  if (RUNNER_NAMES.has(upper)) {
    return upper === 'NODE_OPTIONS'
      ? 'it would load code into every node process of the build and the service'
      : 'the runner sets it for every service';
  }
  const prefix = LOADER_PREFIXES.find((p) => upper.startsWith(p));
  if (prefix) return `${prefix}* variables change how programs are loaded`;
  return undefined;
}

export interface EnvInput {
  name: string;
  value: string;
  secret?: boolean | null;
}

export function parseEnv(vars: readonly EnvInput[] | null | undefined) {
  const list = vars ?? [];
  if (list.length > MAX_ENV_VARS)
    throw badInput(`env has ${list.length} variables: expected at most ${MAX_ENV_VARS}`, 'env');
  const seen = new Set<string>();
  let bytes = 0;
  for (const { name, value } of list) {
    if (!ENV_NAME.test(name)) {
      throw badInput(
        `env name "${preview(name)}" is invalid: expected letters, digits and _ not starting with a digit`,
        'env',
      );
    }
    const refused = refusedEnvName(name);
    if (refused) {
      throw badInput(
        `env name "${name}" is not allowed (${refused}): expected any other name; refused are PORT, HOST, PATH, HOME, NODE_OPTIONS, LD_* and DYLD_*`,
        'env',
      );
    }
    if (seen.has(name))
      throw badInput(`env name "${name}" appears more than once: each name may be given once`, 'env');
    if (value.includes('\u0000'))
      throw badInput(`env ${name} contains a NUL byte, which no process can receive`, 'env');
    seen.add(name);
    // NAME=VALUE and the NUL that ends it, as a process receives it.
    bytes += Buffer.byteLength(name) + Buffer.byteLength(value) + 2;
  }
  if (bytes > MAX_ENV_BYTES) {
    throw badInput(
      `env is ${bytes} bytes (names, values and separators): expected at most ${MAX_ENV_BYTES} bytes (128 KiB) in all`,
      'env',
    );
  }
  return list.map(({ name, value, secret }) => (secret ? { name, value, secret: true } : { name, value }));
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
