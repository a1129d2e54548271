import type pg from 'pg';
import type { Logger } from '../../core/logger.ts';
import { forgetResources, recordResources } from '../../core/sql/running-resources.ts';
import type { RunningService } from '../executors/types.ts';
import { sampleEvery } from './sampler.ts';

/** How often a running service's memory and CPU time are sampled. */
export const RESOURCE_SAMPLE_MS = 5_000;

/**
 * Samples a running service's memory and CPU time into workload_resource
 * (the source of its per-workload metrics) until the returned function is
 * called; call it before the workload's terminal transition so no sample
 * lands after it.
 */
export function sampleWorkloadUsage(
  pool: pg.Pool,
  workloadId: string,
  service: RunningService,
  logger: Logger,
): () => Promise<void> {
  const usage = service.usage?.bind(service);
  if (!usage) return async () => {};
  return sampleEvery(
    RESOURCE_SAMPLE_MS,
    usage,
    (sample) => recordResources(pool, workloadId, sample),
    (error) => logger.warn({ err: error }, `Resource sampling failed: ${(error as Error).message}`),
  );
}

/** Removes the ended workload's sample (its series are gone already; this keeps the table small). */
export async function forgetWorkloadUsage(pool: pg.Pool, workloadId: string, logger: Logger): Promise<void> {
  await forgetResources(pool, workloadId).catch((error: Error) =>
    logger.warn({ err: error }, `Could not remove the resource sample: ${error.message}`),
  );
}
