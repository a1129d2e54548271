/**
 * The workload stage machine (docs/architecture.md, "Stage machine"). This table is the only place the
 * allowed moves are written down; `sql/transition.ts` enforces them in the
 * database with a conditional UPDATE.
 */
export const WORKLOAD_STAGES = [
  'pending',
  'validate',
  'build',
  'deploy',
  'running',
  'stopped',
  'failed',
] as const;
export type WorkloadStage = (typeof WORKLOAD_STAGES)[number];

export const TERMINAL_STAGES: readonly WorkloadStage[] = ['stopped', 'failed'];
/** Stages in which a runner is still working towards `running` (cancellable). */
export const PROGRESS_STAGES: readonly WorkloadStage[] = ['validate', 'build', 'deploy'];

const TRANSITIONS: Record<WorkloadStage, readonly WorkloadStage[]> = {
  pending: ['validate', 'failed'],
  validate: ['build', 'failed'],
  build: ['deploy', 'failed'],
  deploy: ['running', 'failed'],
  running: ['stopped', 'failed'],
  stopped: [],
  failed: [],
};

export function canTransition(from: WorkloadStage, to: WorkloadStage): boolean {
  return TRANSITIONS[from].includes(to);
}

export function isTerminal(stage: WorkloadStage): boolean {
  return TERMINAL_STAGES.includes(stage);
}

export const LOG_LEVELS = ['info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const EXECUTORS = ['auto', 'local', 'docker'] as const;
export type Executor = (typeof EXECUTORS)[number];

export const RESTART_POLICIES = ['never', 'on_failure', 'always'] as const;
export type RestartPolicy = (typeof RESTART_POLICIES)[number];

export const DEPLOYMENT_STATUSES = ['idle', 'deploying', 'running', 'stopped', 'failed'] as const;
export type DeploymentStatus = (typeof DEPLOYMENT_STATUSES)[number];

/** A deployment's status is derived from its latest workload. */
export function deploymentStatus(latest: WorkloadStage | undefined): DeploymentStatus {
  if (latest === undefined) return 'idle';
  if (latest === 'running' || latest === 'stopped' || latest === 'failed') return latest;
  return 'deploying';
}
