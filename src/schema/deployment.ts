import { type Deployment, DeploymentSchema, ProjectSchema } from '../../core/db/entities/index.ts';
import { deploymentStatus } from '../../core/stages.ts';
import { notFound } from '../errors.ts';
import { workloadConnection } from '../services/workload-page.ts';
import { parseEnv, parseHealthCheckPath, parseId, parseName } from '../validation/input.ts';
import { parseServicePath } from '../validation/paths.ts';
import { builder } from './builder.ts';
import { DeploymentStatusEnum, ExecutorEnum } from './enums.ts';
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
    env: t.field({
      type: [EnvVar],
      description: 'Environment variables given to every workload of this deployment.',
      resolve: (d) => d.env,
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

const EnvVar = builder.objectRef<{ name: string; value: string }>('EnvVar').implement({
  fields: (t) => ({ name: t.exposeString('name'), value: t.exposeString('value') }),
});

const EnvVarInput = builder.inputType('EnvVarInput', {
  fields: (t) => ({ name: t.string({ required: true }), value: t.string({ required: true }) }),
});

const CreateDeploymentInput = builder.inputType('CreateDeploymentInput', {
  fields: (t) => ({
    projectId: t.id({ required: true }),
    serviceName: t.string({ required: true }),
    servicePath: t.string({ required: true, description: 'Relative to the project root, and inside it.' }),
    executor: t.field({ type: ExecutorEnum, defaultValue: 'auto' }),
    healthCheckPath: t.string({ description: 'An HTTP path that answers 2xx when the service is ready.' }),
    env: t.field({ type: [EnvVarInput] }),
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
    resolve: async (_root, { input }, { em }) => {
      const projectId = parseId(input.projectId, 'projectId');
      const serviceName = parseName(input.serviceName, 'serviceName');
      const healthCheckPath = parseHealthCheckPath(input.healthCheckPath);
      const env = parseEnv(input.env);
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
      } as Deployment);
      await em.flush();
      return deployment;
    },
  }),
}));
