import { InvalidArgumentError, Option } from 'commander';
import type { Executor, LogLevel, RestartPolicy, WorkloadStage } from '../../sdk/index.ts';

/** Option definitions and value parsers shared by several commands. */

/**
 * Every value of an enum of the schema, in order, checked against its SDK
 * type both ways: a value the schema gains fails the typecheck here until it
 * is listed (a plain array would only reject values the schema lacks).
 */
function allOf<T extends string>(values: Record<T, true>): T[] {
  return Object.keys(values) as T[];
}

export const STAGES = allOf<WorkloadStage>({
  pending: true,
  validate: true,
  build: true,
  deploy: true,
  running: true,
  stopped: true,
  failed: true,
});
export const LEVELS = allOf<LogLevel>({ info: true, warn: true, error: true });
export const EXECUTORS = allOf<Executor>({ auto: true, local: true, docker: true });

export const RESTART_POLICIES = allOf<RestartPolicy>({ never: true, on_failure: true, always: true });

export const stageOption = (description: string) =>
  new Option('--stage <stage>', description).choices(STAGES);
export const levelOption = () => new Option('--level <level>', 'only entries of this level').choices(LEVELS);
export const executorOption = () =>
  new Option('--executor <executor>', 'where the service runs').choices(EXECUTORS).default('auto');

export function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n)) {
    throw new InvalidArgumentError(`expected a whole number ≥ 0, got "${value}"`);
  }
  return n;
}

export function positiveInt(value: string): number {
  const n = nonNegativeInt(value);
  if (n === 0) throw new InvalidArgumentError('expected a whole number ≥ 1, got "0"');
  return n;
}

/** `--env K=V`, repeatable: collects `{ name, value }` pairs. */
export function envPair(
  value: string,
  previous: { name: string; value: string }[] = [],
): { name: string; value: string }[] {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError(`expected NAME=VALUE, got "${value}"`);
  return [...previous, { name: value.slice(0, eq), value: value.slice(eq + 1) }];
}
