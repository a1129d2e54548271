import { RunnerSchema } from '../db/entities/index.ts';
import { builder } from './builder.ts';
import { RunnerRef } from './refs.ts';

/** A runner is alive while its heartbeat is younger than this. */
export const RUNNER_ALIVE_MS = 15_000;

RunnerRef.implement({
  description: 'A runner process that claims and runs workloads.',
  fields: (t) => ({
    id: t.exposeID('id'),
    hostname: t.exposeString('hostname'),
    pid: t.exposeInt('pid'),
    concurrency: t.exposeInt('concurrency'),
    activeWorkloads: t.exposeInt('activeWorkloads', {
      description: 'Workloads it owns that are not terminal (in progress or running).',
    }),
    startedAt: t.expose('startedAt', { type: 'DateTime' }),
    lastHeartbeatAt: t.expose('lastHeartbeatAt', { type: 'DateTime' }),
    stoppedAt: t.expose('stoppedAt', { type: 'DateTime', nullable: true }),
    alive: t.boolean({
      description: `Heartbeat within the last ${RUNNER_ALIVE_MS / 1000} s and not stopped.`,
      resolve: (r) => !r.stoppedAt && Date.now() - r.lastHeartbeatAt.getTime() < RUNNER_ALIVE_MS,
    }),
  }),
});

builder.queryFields((t) => ({
  runners: t.field({
    type: [RunnerRef],
    description: 'Every runner that has registered, most recent heartbeat first.',
    resolve: (_root, _args, { em }) => em.find(RunnerSchema, {}, { orderBy: { lastHeartbeatAt: 'desc' } }),
  }),
}));
