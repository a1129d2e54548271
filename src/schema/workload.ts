import { getWorkloadRow } from '../../core/sql/transition.ts';
import type { ResourceUsage as ResourceUsageRow } from '../../core/sql/workload-row.ts';
import { notFound } from '../errors.ts';
import { abortable } from '../live/abortable.ts';
import { createWorkload } from '../services/create-workload.ts';
import { stopWorkload } from '../services/stop-workload.ts';
import { workloadConnection } from '../services/workload-page.ts';
import { parseId } from '../validation/input.ts';
import { builder } from './builder.ts';
import { ExecutorEnum, FailureReasonEnum, WorkloadStageEnum } from './enums.ts';
import { DeploymentRef, WorkloadConnection, WorkloadRef } from './refs.ts';

WorkloadRef.implement({
  description:
    'One attempt to run a deployment: pending → validate → build → deploy → running, then stopped or failed.',
  fields: (t) => ({
    id: t.exposeID('id'),
    deploymentId: t.exposeID('deploymentId'),
    deployment: t.field({
      type: DeploymentRef,
      resolve: (w, _args, { loaders }) => loaders.deployment.load(w.deploymentId),
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
    restartOf: t.field({
      type: WorkloadRef,
      nullable: true,
      description: 'The workload this one restarts (restart policy); null for one a client created.',
      resolve: (w, _args, { loaders }) => (w.restartOf ? loaders.workload.load(w.restartOf) : null),
    }),
    restart: t.field({
      type: WorkloadRef,
      nullable: true,
      description: 'The restart the restart policy created when this workload ended, if it did.',
      resolve: (w, _args, { loaders }) => loaders.restartOf.load(w.id),
    }),
    attempt: t.exposeInt('attempt', {
      description: '1 for a workload a client created; one more for each restart of it.',
    }),
    scheduledAt: t.expose('scheduledAt', {
      type: 'DateTime',
      nullable: true,
      description: 'A restart is not started before this time (its backoff).',
    }),
    resources: t.field({
      type: ResourceUsage,
      nullable: true,
      description: 'The latest resource sample (every 5 s while running); null before the first.',
      resolve: (w) => w.resources,
    }),
    peakMemoryBytes: t.exposeFloat('peakMemoryBytes', {
      nullable: true,
      description: 'The highest memoryBytes sampled.',
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
    startedAt: t.expose('startedAt', { type: 'DateTime', nullable: true }),
    finishedAt: t.expose('finishedAt', { type: 'DateTime', nullable: true }),
  }),
});

const ResourceUsage = builder.objectRef<ResourceUsageRow>('ResourceUsage').implement({
  description: "A sample of a running workload's resource use.",
  fields: (t) => ({
    cpuPercent: t.exposeFloat('cpuPercent', {
      description: 'CPU time used since the previous sample, in percent of one core (200 = two cores busy).',
    }),
    memoryBytes: t.exposeFloat('memoryBytes'),
    pids: t.exposeInt('pids', { description: 'Processes (and threads, for a container) of the workload.' }),
    sampledAt: t.expose('sampledAt', { type: 'DateTime' }),
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
      workloadConnection(db.pool, {
        ...args,
        deploymentId: args.deploymentId ? parseId(args.deploymentId, 'deploymentId') : null,
      }),
  }),
}));

builder.mutationFields((t) => ({
  createWorkload: t.field({
    type: WorkloadRef,
    description: 'Creates a pending workload; a runner claims it and takes it through the stages.',
    args: { input: t.arg({ type: CreateWorkloadInput, required: true }) },
    resolve: (_root, { input }, { db }) =>
      createWorkload(db.pool, parseId(input.deploymentId, 'deploymentId'), input.servicePath),
  }),
  stopWorkload: t.field({
    type: WorkloadRef,
    description:
      'Stops a running workload or cancels one still on its way; returns once it is terminal (stopped or failed), or fails with STOP_TIMEOUT when its runner, alive, has not ended it in time.',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, { db, live, config }) =>
      stopWorkload({ pool: db.pool, live, stopTimeoutMs: config.stopTimeoutMs }, parseId(args.id)),
  }),
}));

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
