import { setTimeout as sleep } from 'node:timers/promises';
import type { Runner } from '../../core/db/entities/index.ts';
import { RunnerSchema } from '../../core/db/entities/index.ts';
import type { Queryable } from '../../core/sql/queryable.ts';
import {
  countUnconfirmedRestarts,
  readRunners,
  requestRunnerRestart,
} from '../../core/sql/runner-restart.ts';
import { RUNNER_LEASE_MS } from '../../core/sql/runners.ts';
import { badInput, notFound } from '../errors.ts';
import { parseId } from '../validation/input.ts';
import { builder } from './builder.ts';
import { RunnerRef } from './refs.ts';

/** A runner is alive while it holds its lease: not stopped, heartbeat younger than the lease. */
export const RUNNER_ALIVE_MS = RUNNER_LEASE_MS;
/** How long restartRunners waits for the runners to confirm. */
export const RESTART_WAIT_MS = 10_000;
const RESTART_POLL_MS = 200;

const isAlive = (r: Runner) => !r.stoppedAt && Date.now() - r.lastHeartbeatAt.getTime() < RUNNER_ALIVE_MS;

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
    resolve: async (_root, args, { db }) => {
      const ids = args.ids ? [...new Set(args.ids.map((id) => parseId(id, 'ids')))] : null;
      if (ids) await checkRestartable(db.pool, ids);
      const requested = await requestRunnerRestart(db.pool, ids, RUNNER_ALIVE_MS);
      const requestedIds = requested.map((r) => r.id);
      if (requestedIds.length === 0) return [];
      const deadline = Date.now() + RESTART_WAIT_MS;
      while ((await countUnconfirmedRestarts(db.pool, requestedIds)) > 0 && Date.now() < deadline) {
        await sleep(RESTART_POLL_MS);
      }
      return readRunners(db.pool, requestedIds);
    },
  }),
}));

/** Named runners must exist (NOT_FOUND) and be alive (BAD_USER_INPUT): a dead one cannot restart. */
async function checkRestartable(db: Queryable, ids: readonly string[]): Promise<void> {
  const found = new Map((await readRunners(db, ids)).map((r) => [r.id, r]));
  for (const id of ids) {
    const runner = found.get(id);
    if (!runner) throw notFound('Runner', id);
    if (!isAlive(runner)) {
      throw badInput(
        `Runner ${id} is not alive (last heartbeat ${runner.lastHeartbeatAt.toISOString()}${runner.stoppedAt ? ', stopped' : ''}): only a live runner can restart`,
        'ids',
      );
    }
  }
}
