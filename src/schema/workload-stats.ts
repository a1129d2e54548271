import { type WorkloadStatsRow, workloadStats } from '../../core/sql/workload-stats.ts';
import { parseId } from '../validation/input.ts';
import { builder } from './builder.ts';
import { ReasonCountRef } from './reason-count.ts';
import { StageStatsRef } from './stage-stats.ts';

const WorkloadStatsRef = builder.objectRef<WorkloadStatsRow>('WorkloadStats').implement({
  description:
    'Figures of the workloads created since a time, of a deployment, a project or all: the same as /metrics shows, per scope.',
  fields: (t) => ({
    started: t.exposeInt('started', { description: 'Workloads created.' }),
    running: t.exposeInt('running', { description: 'Of those, running now.' }),
    stopped: t.exposeInt('stopped'),
    failed: t.exposeInt('failed'),
    successRate: t.exposeFloat('successRate', {
      nullable: true,
      description:
        'Of the workloads that reached running or failed before it, the share that reached running; null when none did either.',
    }),
    byStage: t.field({ type: [StageStatsRef], resolve: (s) => s.byStage }),
    failuresByReason: t.field({ type: [ReasonCountRef], resolve: (s) => s.failuresByReason }),
    averageBuildMs: t.exposeFloat('averageBuildMs', { nullable: true }),
  }),
});

builder.queryFields((t) => ({
  workloadStats: t.field({
    type: WorkloadStatsRef,
    description:
      'Workload figures for a deployment, a project, or everything; since: workloads created at or after.',
    args: { deploymentId: t.arg.id(), projectId: t.arg.id(), since: t.arg({ type: 'DateTime' }) },
    resolve: (_root, args, { db }) =>
      workloadStats(db.pool, {
        deploymentId: args.deploymentId ? parseId(args.deploymentId, 'deploymentId') : null,
        projectId: args.projectId ? parseId(args.projectId, 'projectId') : null,
        since: args.since ?? null,
      }),
  }),
}));
