import type { WorkloadStage } from './stages.ts';

/**
 * Why a workload ended `failed`, as data: written with the failing
 * transition (`workload.failure_reason`), counted by the metrics and
 * `workloadStats`. Never derived from the error message.
 *
 * - `validate`, `build`, `deploy`: that stage failed (its checks, its
 *   commands, readiness);
 * - `crash`: the running service exited on its own;
 * - `health`: the running service failed its periodic health checks;
 * - `memory`: the service was killed for exceeding its memory limit;
 * - `cancelled`: a stop request (or the runner shutting down) ended it
 *   before it was running;
 * - `runner_lost`: the runner that owned it stopped responding.
 */
export const FAILURE_REASONS = [
  'validate',
  'build',
  'deploy',
  'crash',
  'health',
  'memory',
  'cancelled',
  'runner_lost',
] as const;
export type FailureReason = (typeof FAILURE_REASONS)[number];

/** The reason for a failure of a progress stage with nothing more specific to say. */
export function stageFailureReason(stage: WorkloadStage): FailureReason {
  if (stage === 'validate' || stage === 'build' || stage === 'deploy') return stage;
  if (stage === 'running') return 'crash';
  return 'cancelled';
}
