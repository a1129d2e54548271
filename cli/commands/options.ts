import { InvalidArgumentError, Option } from 'commander';
import type { Executor, LogLevel, WorkloadStage } from '../../sdk/index.ts';

/** Option definitions and value parsers shared by several commands. */

export const STAGES: WorkloadStage[] = [
  'pending',
  'validate',
  'build',
  'deploy',
  'running',
  'stopped',
  'failed',
];
export const LEVELS: LogLevel[] = ['info', 'warn', 'error'];
export const EXECUTORS: Executor[] = ['auto', 'local', 'docker'];

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
