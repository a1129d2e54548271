import { builder } from './builder.ts';

export const ReasonCountRef = builder.objectRef<{ reason: string; count: number }>('ReasonCount').implement({
  description: 'Failed workloads of one failure reason.',
  fields: (t) => ({
    reason: t.exposeString('reason', {
      description: 'validate, build, deploy, crash, health, memory, cancelled or runner_lost.',
    }),
    count: t.exposeInt('count'),
  }),
});
