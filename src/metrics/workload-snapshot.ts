import type { Queryable } from '../../core/sql/queryable.ts';
import { type RunningResources, runningResources } from '../../core/sql/running-resources.ts';
import { type StageDurationHistogram, stageDurations } from '../../core/sql/stage-durations.ts';
import { type WorkloadOutcomes, workloadOutcomes } from '../../core/sql/workload-outcomes.ts';

/** Bounds of `agentforge_stage_duration_seconds`: from a fast validate to a long build or run. */
export const STAGE_DURATION_BUCKETS = [
  0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600,
];

/** What the workload metrics show, read from the database once per scrape. */
export interface WorkloadSnapshot {
  outcomes: WorkloadOutcomes;
  durations: StageDurationHistogram[];
  resources: RunningResources[];
}

export const EMPTY_SNAPSHOT: WorkloadSnapshot = {
  outcomes: { started: 0, ended: [], failures: [] },
  durations: [],
  resources: [],
};

/** The three reads run side by side (each one statement on the pool). */
export async function readWorkloadSnapshot(db: Queryable): Promise<WorkloadSnapshot> {
  const [outcomes, durations, resources] = await Promise.all([
    workloadOutcomes(db),
    stageDurations(db, STAGE_DURATION_BUCKETS),
    runningResources(db),
  ]);
  return { outcomes, durations, resources };
}
