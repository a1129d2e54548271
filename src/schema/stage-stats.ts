import type { StageStatsRow } from '../../core/sql/workload-stats.ts';
import { builder } from './builder.ts';
import { WorkloadStageEnum } from './enums.ts';

export const StageStatsRef = builder.objectRef<StageStatsRow>('StageStats').implement({
  description: 'How the workloads of a WorkloadStats fared in one stage.',
  fields: (t) => ({
    stage: t.field({ type: WorkloadStageEnum, resolve: (s) => s.stage }),
    entered: t.exposeInt('entered', { description: 'Workloads that entered the stage.' }),
    failed: t.exposeInt('failed', { description: 'Workloads that failed in it.' }),
    averageMs: t.exposeFloat('averageMs', {
      nullable: true,
      description: 'Average time spent in it by those that left it; null when none has.',
    }),
  }),
});
