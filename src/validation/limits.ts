import { availableParallelism } from 'node:os';
import { LIMIT_RANGES, type Limits } from '../../core/config.ts';
import { badInput } from '../errors.ts';

export interface LimitsInput {
  memoryLimitMb?: number | null;
  cpuLimit?: number | null;
  pidsLimit?: number | null;
}

/**
 * A deployment's limits (docs/containment.md): each one given is checked against what a
 * service can start with and what the host has; one left out takes the
 * runner's default (`fallback`). MB means MiB.
 */
export function parseLimits(input: LimitsInput, fallback: Limits) {
  const cores = availableParallelism();
  const memory = input.memoryLimitMb ?? fallback.memoryMb;
  const { min: memMin, max: memMax } = LIMIT_RANGES.memoryMb;
  if (!Number.isInteger(memory) || memory < memMin || memory > memMax) {
    throw badInput(
      `memoryLimitMb is ${memory}: expected a whole number of MB from ${memMin} to ${memMax}`,
      'memoryLimitMb',
    );
  }
  const pids = input.pidsLimit ?? fallback.pids;
  const { min: pidsMin, max: pidsMax } = LIMIT_RANGES.pids;
  if (!Number.isInteger(pids) || pids < pidsMin || pids > pidsMax) {
    throw badInput(
      `pidsLimit is ${pids}: expected a whole number from ${pidsMin} to ${pidsMax}`,
      'pidsLimit',
    );
  }
  // A default above the host's cores is capped; a limit the client asks for is not.
  const cpus = input.cpuLimit ?? Math.min(fallback.cpus, cores);
  if (!Number.isFinite(cpus) || cpus <= 0 || cpus > cores) {
    throw badInput(
      `cpuLimit is ${cpus}: expected a number of cores above 0 and at most ${cores} (this host's cores)`,
      'cpuLimit',
    );
  }
  return { memoryLimitMb: memory, cpuLimit: cpus, pidsLimit: pids };
}
