import type { FailureReason } from '../failure-reasons.ts';
import { WORKLOAD_STAGES, type WorkloadStage } from '../stages.ts';
import type { Queryable } from './queryable.ts';

export interface StageStatsRow {
  stage: WorkloadStage;
  entered: number;
  failed: number;
  averageMs: number | null;
}

export interface WorkloadStatsRow {
  started: number;
  running: number;
  stopped: number;
  failed: number;
  successRate: number | null;
  byStage: StageStatsRow[];
  failuresByReason: { reason: FailureReason; count: number }[];
  averageBuildMs: number | null;
}

export interface StatsScope {
  deploymentId?: string | null;
  projectId?: string | null;
  since?: Date | null;
}

const PROGRESS: readonly WorkloadStage[] = ['pending', 'validate', 'build', 'deploy'];

/**
 * Figures of the workloads created since `since` (all when null) of a
 * deployment or a project (all when null), from the stage ledger in one
 * statement: the cohort is picked by its pending visits (one per workload,
 * `workload_stage_deployment_idx`), then all its visits are grouped by
 * stage, next stage and reason. A visit to `running` not yet left is a
 * workload running now.
 */
export async function workloadStats(db: Queryable, scope: StatsScope): Promise<WorkloadStatsRow> {
  const { rows } = await db.query(
    `with cohort as (
       select p."workload_id" from "workload_stage" p
        where p."stage" = 'pending'
          and ($1::uuid is null or p."deployment_id" = $1)
          and ($2::uuid is null or p."deployment_id" in (select "id" from "deployment" where "project_id" = $2))
          and ($3::timestamptz is null or p."entered_at" >= $3)
     )
     select s."stage", s."next_stage", s."failure_reason", count(*)::int as "count",
            count(*) filter (where s."left_at" is null)::int as "open",
            sum(extract(epoch from s."left_at" - s."entered_at") * 1000)::float8 as "ms",
            count(s."left_at" - s."entered_at")::int as "timed"
       from "workload_stage" s
       join cohort c on c."workload_id" = s."workload_id"
      group by 1, 2, 3`,
    [scope.deploymentId ?? null, scope.projectId ?? null, scope.since ?? null],
  );
  const byStage = new Map<WorkloadStage, { entered: number; failed: number; ms: number; timed: number }>();
  const reasons = new Map<FailureReason, number>();
  let running = 0;
  let stopped = 0;
  for (const r of rows as {
    stage: WorkloadStage;
    next_stage: WorkloadStage | null;
    failure_reason: FailureReason | null;
    count: number;
    open: number;
    ms: number | null;
    timed: number;
  }[]) {
    const stats = byStage.get(r.stage) ?? { entered: 0, failed: 0, ms: 0, timed: 0 };
    stats.entered += r.count;
    stats.ms += r.ms ?? 0;
    stats.timed += r.timed;
    if (r.next_stage === 'failed') stats.failed += r.count;
    byStage.set(r.stage, stats);
    if (r.stage === 'running') running += r.open;
    if (r.next_stage === 'stopped') stopped += r.count;
    if (r.failure_reason) reasons.set(r.failure_reason, (reasons.get(r.failure_reason) ?? 0) + r.count);
  }
  const stages: StageStatsRow[] = WORKLOAD_STAGES.filter((s) => byStage.has(s)).map((stage) => {
    const s = byStage.get(stage)!;
    return { stage, entered: s.entered, failed: s.failed, averageMs: s.timed ? s.ms / s.timed : null };
  });
  const reachedRunning = byStage.get('running')?.entered ?? 0;
  const failedOnTheWay = PROGRESS.reduce((n, stage) => n + (byStage.get(stage)?.failed ?? 0), 0);
  return {
    started: byStage.get('pending')?.entered ?? 0,
    running,
    stopped,
    failed: stages.reduce((n, s) => n + s.failed, 0),
    successRate: reachedRunning + failedOnTheWay ? reachedRunning / (reachedRunning + failedOnTheWay) : null,
    byStage: stages,
    failuresByReason: [...reasons].map(([reason, count]) => ({ reason, count })),
    averageBuildMs: stages.find((s) => s.stage === 'build')?.averageMs ?? null,
  };
}
