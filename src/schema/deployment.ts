import {
  type Deployment,
  DeploymentSchema,
  type EnvVar as EnvVarRow,
  ProjectSchema,
} from '../../core/db/entities/index.ts';
import { deploymentStatus } from '../../core/stages.ts';
import { notFound } from '../errors.ts';
import { workloadConnection } from '../services/workload-page.ts';
import { parseRunningSettings } from '../validation/deployment-settings.ts';
import { parseEnv, parseHealthCheckPath, parseId, parseName } from '../validation/input.ts';
import { parseLimits } from '../validation/limits.ts';
import { parseServicePath } from '../validation/paths.ts';
import { builder } from './builder.ts';
import { LimitFields, RunningSettingsFields } from './deployment-settings.ts';
import { DeploymentStatusEnum, ExecutorEnum, RestartPolicyEnum } from './enums.ts';
import { DeploymentRef, ProjectRef, WorkloadConnection, WorkloadRef } from './refs.ts';

DeploymentRef.implement({
  description: 'A service of a project that can be deployed; each attempt to run it is a Workload.',
  fields: (t) => ({
    id: t.exposeID('id'),
    projectId: t.exposeID('projectId'),
    project: t.field({
      type: ProjectRef,
      resolve: (d, _args, { loaders }) => loaders.project.load(d.projectId),
    }),
    serviceName: t.exposeString('serviceName'),
    servicePath: t.exposeString('servicePath', { description: 'Relative to the project root.' }),
    status: t.field({
      type: DeploymentStatusEnum,
      description: 'Derived from the latest workload: idle when there is none.',
      resolve: async (d, _args, { loaders }) =>
        deploymentStatus((await loaders.latestWorkload.load(d.id))?.stage),
    }),
    executor: t.field({ type: ExecutorEnum, resolve: (d) => d.executor }),
    healthCheckPath: t.exposeString('healthCheckPath', { nullable: true }),
    healthCheckIntervalMs: t.exposeInt('healthCheckIntervalMs', {
      description: 'Time between health checks while running; 0: none.',
    }),
    healthCheckTimeoutMs: t.exposeInt('healthCheckTimeoutMs', {
      description: 'How long one health check may take before it counts as failed.',
    }),
    healthCheckFailureThreshold: t.exposeInt('healthCheckFailureThreshold', {
      description: 'Failed health checks in a row that end the workload failed.',
    }),
    restartPolicy: t.field({ type: RestartPolicyEnum, resolve: (d) => d.restartPolicy }),
    maxRestarts: t.exposeInt('maxRestarts', {
      description:
        'Restarts in a row before the policy gives up (the count starts again after 10 min of running).',
    }),
    env: t.field({
      type: [EnvVar],
      description: 'Environment variables given to every workload of this deployment.',
      resolve: (d) => d.env,
    }),
    memoryLimitMb: t.int({
      nullable: true,
      description: 'Memory limit of each workload, in MB (MiB); null: the runner default.',
      resolve: (d) => d.memoryLimitMb ?? null,
    }),
    cpuLimit: t.float({
      nullable: true,
      description: 'CPU limit of each workload, in cores; null: the runner default.',
      resolve: (d) => (d.cpuLimit === null || d.cpuLimit === undefined ? null : Number(d.cpuLimit)),
    }),
    pidsLimit: t.int({
      nullable: true,
      description: 'Most processes (and threads) a workload may have at once; null: the runner default.',
      resolve: (d) => d.pidsLimit ?? null,
    }),
    currentWorkload: t.field({
      type: WorkloadRef,
      nullable: true,
      description: 'The latest workload, whatever its stage.',
      resolve: (d, _args, { loaders }) => loaders.latestWorkload.load(d.id),
    }),
    workloads: t.field({
      type: WorkloadConnection,
      description: 'Workloads of this deployment, newest first.',
      args: { first: t.arg.int(), after: t.arg.string() },
      resolve: (d, args, { db }) => workloadConnection(db.pool, { deploymentId: d.id, ...args }),
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});

const EnvVar = builder.objectRef<EnvVarRow>('EnvVar').implement({
  fields: (t) => ({
    name: t.exposeString('name'),
    value: t.string({
      nullable: true,
      description: 'Null for a secret: its value is given to the service and never read back.',
      resolve: (v) => (v.secret ? null : v.value),
    }),
    secret: t.boolean({ resolve: (v) => v.secret === true }),
  }),
});

export const EnvVarInput = builder.inputType('EnvVarInput', {
  fields: (t) => ({
    name: t.string({ required: true }),
    value: t.string({ required: true }),
    secret: t.boolean({ defaultValue: false, description: 'A secret value is never read back or logged.' }),
  }),
});

const CreateDeploymentInput = builder.inputType('CreateDeploymentInput', {
  fields: (t) => ({
    projectId: t.id({ required: true }),
    serviceName: t.string({ required: true }),
    servicePath: t.string({ required: true, description: 'Relative to the project root, and inside it.' }),
    executor: t.field({ type: ExecutorEnum, defaultValue: 'auto' }),
    healthCheckPath: t.string({ description: 'An HTTP path that answers 2xx when the service is ready.' }),
    env: t.field({ type: [EnvVarInput] }),
    ...RunningSettingsFields(t),
    ...LimitFields(t),
  }),
});

builder.queryFields((t) => ({
  deployments: t.field({
    type: [DeploymentRef],
    args: { projectId: t.arg.id() },
    resolve: (_root, args, { em }) =>
      em.find(DeploymentSchema, args.projectId ? { projectId: parseId(args.projectId, 'projectId') } : {}, {
        orderBy: { createdAt: 'asc', id: 'asc' },
      }),
  }),
  deployment: t.field({
    type: DeploymentRef,
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, { em }) => em.findOne(DeploymentSchema, { id: parseId(args.id) }),
  }),
}));

builder.mutationFields((t) => ({
  createDeployment: t.field({
    type: DeploymentRef,
    args: { input: t.arg({ type: CreateDeploymentInput, required: true }) },
    resolve: async (_root, { input }, { em, config }) => {
      const projectId = parseId(input.projectId, 'projectId');
      const serviceName = parseName(input.serviceName, 'serviceName');
      const healthCheckPath = parseHealthCheckPath(input.healthCheckPath);
      const env = parseEnv(input.env);
      const settings = parseRunningSettings(input);
      const limits = parseLimits(input, config.defaultLimits);
      const project = await em.findOne(ProjectSchema, { id: projectId });
      if (!project) throw notFound('Project', projectId);
      const servicePath = await parseServicePath(project.rootPath, input.servicePath);
      const deployment = em.create(DeploymentSchema, {
        projectId,
        serviceName,
        servicePath,
        executor: input.executor ?? 'auto',
        healthCheckPath,
        env,
        ...settings,
        ...limits,
      } as Deployment);
      await em.flush();
      return deployment;
    },
  }),
}));
