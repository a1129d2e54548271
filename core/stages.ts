/**
 * The workload stage machine (docs/architecture.md, "Stage machine"). This table is the only
 * place the stages and the allowed moves are written down: every other list
 * (the SQL of `core/sql/`, the entity's index and check, the CLI) is derived
 * from it, and `core/sql/transition.ts` enforces it in the database with a
 * conditional UPDATE.
 *
 * This module imports nothing, so the SDK and the CLI may share it.
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

const TRANSITIONS: Record<WorkloadStage, readonly WorkloadStage[]> = {
  pending: ['validate', 'failed'],
  validate: ['build', 'failed'],
  build: ['deploy', 'failed'],
  deploy: ['running', 'failed'],
  running: ['stopped', 'failed'],
  stopped: [],
  failed: [],
};

/** Stages no move leaves: the workload is over and never changes again. */
export const TERMINAL_STAGES: readonly WorkloadStage[] = WORKLOAD_STAGES.filter(
  (s) => TRANSITIONS[s].length === 0,
);
/** Where a new workload waits for a runner: the one stage nothing moves into. */
export const INITIAL_STAGE: WorkloadStage = WORKLOAD_STAGES.find(
  (s) => !WORKLOAD_STAGES.some((from) => TRANSITIONS[from].includes(s)),
) as WorkloadStage;
/** The stage a claim moves a workload into: the first move out of the initial stage. */
export const CLAIMED_STAGE: WorkloadStage = TRANSITIONS[INITIAL_STAGE][0] as WorkloadStage;
/** Stages a runner owns the workload in: claimed and not yet terminal. */
export const LIVE_STAGES: readonly WorkloadStage[] = WORKLOAD_STAGES.filter(
  (s) => s !== INITIAL_STAGE && !TERMINAL_STAGES.includes(s),
);
/** The stage a service runs in: the live stage only terminal stages follow. */
export const RUNNING_STAGE: WorkloadStage = LIVE_STAGES.find((s) =>
  TRANSITIONS[s].every((to) => TERMINAL_STAGES.includes(to)),
) as WorkloadStage;
/** Stages in which a runner is still working towards running (cancellable, its commands killed). */
export const PROGRESS_STAGES: readonly WorkloadStage[] = LIVE_STAGES.filter((s) => s !== RUNNING_STAGE);

export function canTransition(from: WorkloadStage, to: WorkloadStage): boolean {
  return TRANSITIONS[from].includes(to);
}

export function isTerminal(stage: WorkloadStage): boolean {
  return TERMINAL_STAGES.includes(stage);
}

/**
 * A list of stages as an SQL literal list, `('stopped', 'failed')`, for
 * `in (…)` / `not in (…)`. The stage names are the constants above (never
 * input), so quoting them inline is safe, and a literal list (unlike a bound
 * array) lets PostgreSQL match partial indexes written with the same list.
 */
export function sqlStageList(stages: readonly WorkloadStage[]): string {
  return `(${stages.map((s) => `'${s}'`).join(', ')})`;
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
