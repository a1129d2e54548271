import { RunnerSchema } from '../../core/db/entities/index.ts';
import { isAlive, RESTART_WAIT_MS, RUNNER_ALIVE_MS, restartRunners } from '../services/runners.ts';
import { parseId } from '../validation/input.ts';
import { builder } from './builder.ts';
import { RunnerRef } from './refs.ts';

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
    restartRequestedAt: t.expose('restartRequestedAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When a restart of its claim loop and database connections was last asked for.',
    }),
    restartedAt: t.expose('restartedAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When it last restarted; at or after restartRequestedAt once the request is done.',
    }),
    alive: t.boolean({
      description: `Heartbeat within the last ${RUNNER_ALIVE_MS / 1000} s and not stopped.`,
      resolve: isAlive,
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

builder.mutationFields((t) => ({
  restartRunners: t.field({
    type: [RunnerRef],
    description: `Asks runners (all live ones when ids is null) to restart their claim loop and database connections without stopping the services they host; waits up to ${RESTART_WAIT_MS / 1000} s for each to confirm (restartedAt >= restartRequestedAt) and returns them.`,
    args: { ids: t.arg.idList() },
    resolve: (_root, args, { db }) =>
      restartRunners(db.pool, args.ids ? [...new Set(args.ids.map((id) => parseId(id, 'ids')))] : null),
  }),
}));
