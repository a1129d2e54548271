import type pg from 'pg';
import { DeploymentSchema } from '../../core/db/entities/index.ts';
import { cancelPending } from '../../core/sql/cancel-pending.ts';
import { createWorkloadRow } from '../../core/sql/create-workload.ts';
import { deploymentWithRoot } from '../../core/sql/deployment-with-root.ts';
import { failOrphan } from '../../core/sql/fail-orphan.ts';
import { ownerIsGone } from '../../core/sql/runners.ts';
import { getWorkloadRow, requestStop } from '../../core/sql/transition.ts';
import type { WorkloadRow } from '../../core/sql/workload-row.ts';
import { isTerminal } from '../../core/stages.ts';
import { invalidTransition, notFound } from '../errors.ts';
import { abortable } from '../live/abortable.ts';
import { parseId } from '../validation/input.ts';
import { parseServicePath } from '../validation/paths.ts';
import { builder } from './builder.ts';
import { ExecutorEnum, FailureReasonEnum, WorkloadStageEnum } from './enums.ts';
import { DeploymentRef, WorkloadConnection, WorkloadRef } from './refs.ts';
import { workloadPage } from './workload-page.ts';

WorkloadRef.implement({
  description:
    'One attempt to run a deployment: pending → validate → build → deploy → running, then stopped or failed.',
  fields: (t) => ({
    id: t.exposeID('id'),
    deploymentId: t.exposeID('deploymentId'),
    deployment: t.field({
      type: DeploymentRef,
      resolve: (w, _args, { em }) => em.findOneOrFail(DeploymentSchema, { id: w.deploymentId }),
    }),
    servicePath: t.exposeString('servicePath'),
    stage: t.field({ type: WorkloadStageEnum, resolve: (w) => w.stage }),
    executor: t.field({
      type: ExecutorEnum,
      nullable: true,
      description: 'The executor chosen in validate (local or docker); null before.',
      resolve: (w) => w.executor,
    }),
    containerId: t.exposeString('containerId', { nullable: true }),
    pid: t.exposeInt('pid', {
      nullable: true,
      description: 'Leader of the process group the runner spawned.',
    }),
    port: t.exposeInt('port', { nullable: true }),
    url: t.exposeString('url', { nullable: true }),
    error: t.exposeString('error', { nullable: true }),
    failedStage: t.field({ type: WorkloadStageEnum, nullable: true, resolve: (w) => w.failedStage }),
    failureReason: t.field({
      type: FailureReasonEnum,
      nullable: true,
      description: 'Why it failed, as a category (the message is in error); null unless failed.',
      resolve: (w) => w.failureReason,
    }),
    exitCode: t.exposeInt('exitCode', { nullable: true }),
    stopRequested: t.exposeBoolean('stopRequested'),
    runnerId: t.exposeID('runnerId', { nullable: true, description: 'The runner that claimed it.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
    startedAt: t.expose('startedAt', { type: 'DateTime', nullable: true }),
    finishedAt: t.expose('finishedAt', { type: 'DateTime', nullable: true }),
  }),
});

const CreateWorkloadInput = builder.inputType('CreateWorkloadInput', {
  fields: (t) => ({
    deploymentId: t.id({ required: true }),
    servicePath: t.string({ description: "Defaults to the deployment's servicePath." }),
  }),
});

builder.queryFields((t) => ({
  workload: t.field({
    type: WorkloadRef,
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, { db }) => getWorkloadRow(db.pool, parseId(args.id)),
  }),
  workloads: t.field({
    type: WorkloadConnection,
    description: 'Workloads, newest first.',
    args: {
      deploymentId: t.arg.id(),
      stage: t.arg({ type: WorkloadStageEnum }),
      first: t.arg.int(),
      after: t.arg.string(),
    },
    resolve: (_root, args, { db }) =>
      workloadPage(db.pool, {
        ...args,
        deploymentId: args.deploymentId ? parseId(args.deploymentId, 'deploymentId') : null,
      }),
  }),
}));

/** How long stopWorkload waits for the owning runner beyond STOP_TIMEOUT_MS. */
const STOP_WAIT_MARGIN_MS = 15_000;

builder.mutationFields((t) => ({
  createWorkload: t.field({
    type: WorkloadRef,
    description: 'Creates a pending workload; a runner claims it and takes it through the stages.',
    args: { input: t.arg({ type: CreateWorkloadInput, required: true }) },
    resolve: async (_root, { input }, { db }) => {
      const deploymentId = parseId(input.deploymentId, 'deploymentId');
      const deployment = await deploymentWithRoot(db.pool, deploymentId);
      if (!deployment) throw notFound('Deployment', deploymentId);
      const servicePath = await parseServicePath(
        deployment.rootPath,
        input.servicePath ?? deployment.servicePath,
      );
      return createWorkloadRow(db.pool, deploymentId, servicePath);
    },
  }),
  stopWorkload: t.field({
    type: WorkloadRef,
    description:
      'Stops a running workload or cancels one still on its way; returns once it is terminal (stopped or failed).',
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, args, { db, live, config }) => {
      const id = parseId(args.id);
      const current = await getWorkloadRow(db.pool, id);
      if (!current) throw notFound('Workload', id);
      if (isTerminal(current.stage)) {
        throw invalidTransition(
          `Workload ${id} is already ${current.stage}: only a live workload can be stopped`,
        );
      }
      if (current.stage === 'pending') {
        const cancelled = await cancelPending(db.pool, id);
        if (cancelled) return cancelled;
      }
      const requested = await requestStop(db.pool, id);
      if (!requested) return (await getWorkloadRow(db.pool, id))!;
      // Nobody is left to stop it when its runner stopped or stopped heartbeating: fail it now.
      const orphaned = await failIfOwnerGone(db.pool, requested);
      if (orphaned) return orphaned;
      const last = await waitForTerminal(
        live.workloadUpdates.bind(live),
        id,
        config.stopTimeoutMs + STOP_WAIT_MARGIN_MS,
        requested,
      );
      if (isTerminal(last.stage)) return last;
      return (await failIfOwnerGone(db.pool, last)) ?? last;
    },
  }),
}));

/**
 * Fails `row` (as the other runners' sweep would) when the runner that
 * claimed it is gone; undefined when that runner is alive or none claimed it.
 */
async function failIfOwnerGone(pool: pg.Pool, row: WorkloadRow): Promise<WorkloadRow | undefined> {
  if (!(await ownerIsGone(pool, row.id))) return undefined;
  return (await failOrphan(pool, row)) ?? (await getWorkloadRow(pool, row.id)) ?? row;
}

async function waitForTerminal(
  updates: (id: string, signal: AbortSignal) => AsyncIterable<WorkloadRow>,
  id: string,
  timeoutMs: number,
  fallback: WorkloadRow,
): Promise<WorkloadRow> {
  let last = fallback;
  const signal = AbortSignal.timeout(timeoutMs);
  for await (const row of abortable((inner) => updates(id, AbortSignal.any([inner, signal])))) {
    last = row;
    if (isTerminal(row.stage)) break;
  }
  return last;
}

builder.subscriptionFields((t) => ({
  workloadUpdated: t.field({
    type: WorkloadRef,
    description: "The workload's current state, then every change; completes after the terminal state.",
    args: { workloadId: t.arg.id({ required: true }) },
    subscribe: async (_root, args, { db, live }) => {
      const id = parseId(args.workloadId, 'workloadId');
      if (!(await getWorkloadRow(db.pool, id))) throw notFound('Workload', id);
      return abortable((signal) => live.workloadUpdates(id, signal));
    },
    resolve: (row) => row,
  }),
}));
