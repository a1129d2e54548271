import type { FailureReason } from '../failure-reasons.ts';
import type { WorkloadStage } from '../stages.ts';
import type { Queryable } from './queryable.ts';

/** Counts since the beginning, from the stage ledger (so they survive restarts and deletions). */
export interface WorkloadOutcomes {
  /** Workloads created (each is one attempt). */
  started: number;
  /** Ended workloads by terminal stage and the stage they failed in (null for stopped). */
  ended: { stage: 'stopped' | 'failed'; failedStage: WorkloadStage | null; count: number }[];
  failures: { reason: FailureReason; count: number }[];
}

/**
 * One scan of `workload_stage`, grouped: the pending visits (one per
 * workload created) and the visits that ended the workload (left for
 * stopped or failed, with the reason). Prometheus asks every few seconds;
 * the ledger is a few narrow rows per workload, so a scan stays cheap up to
 * hundreds of thousands of workloads, and no counter row is shared by the
 * stage changes of every runner (which a running total would need).
 */
export async function workloadOutcomes(db: Queryable): Promise<WorkloadOutcomes> {
  const { rows } = await db.query(
    `select "stage", "next_stage", "failure_reason", count(*)::float8 as "count"
       from "workload_stage"
      where "stage" = 'pending' or "next_stage" in ('stopped', 'failed')
      group by 1, 2, 3`,
  );
  const outcomes: WorkloadOutcomes = { started: 0, ended: [], failures: [] };
  const failures = new Map<FailureReason, number>();
  for (const r of rows as {
    stage: WorkloadStage;
    next_stage: WorkloadStage | null;
    failure_reason: FailureReason | null;
    count: number;
  }[]) {
    if (r.stage === 'pending') outcomes.started += r.count;
    if (r.next_stage === 'stopped' || r.next_stage === 'failed') {
      const failedStage = r.next_stage === 'failed' ? r.stage : null;
      const same = outcomes.ended.find((e) => e.stage === r.next_stage && e.failedStage === failedStage);
      if (same) same.count += r.count;
      else outcomes.ended.push({ stage: r.next_stage, failedStage, count: r.count });
    }
    if (r.next_stage === 'failed' && r.failure_reason) {
      failures.set(r.failure_reason, (failures.get(r.failure_reason) ?? 0) + r.count);
    }
  }
  outcomes.failures = [...failures].map(([reason, count]) => ({ reason, count }));
  return outcomes;
}
