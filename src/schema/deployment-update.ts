import { DeploymentSchema, ProjectSchema } from '../../core/db/entities/index.ts';
import { deleteDeployment } from '../../core/sql/delete-deployment.ts';
import { badInput, invalidTransition, notFound } from '../errors.ts';
import { parseRunningSettings } from '../validation/deployment-settings.ts';
import { parseEnv, parseHealthCheckPath, parseId, parseName } from '../validation/input.ts';
import { parseLimits } from '../validation/limits.ts';
import { parseServicePath } from '../validation/paths.ts';
import { builder } from './builder.ts';
import { EnvVarInput } from './deployment.ts';
import { LimitFields, RunningSettingsFields } from './deployment-settings.ts';
import { ExecutorEnum } from './enums.ts';
import { DeploymentRef } from './refs.ts';

/** Changing a deployment's settings, and deleting it (docs/running-stage.md). */

const UpdateDeploymentInput = builder.inputType('UpdateDeploymentInput', {
  description:
    "New values for some of a deployment's settings: a field left out keeps its value. The project cannot change. Workloads created from now on use them; one already claimed keeps what it started with.",
  fields: (t) => ({
    serviceName: t.string(),
    servicePath: t.string({ description: 'Relative to the project root, and inside it.' }),
    executor: t.field({ type: ExecutorEnum }),
    healthCheckPath: t.string({ description: 'null removes it (the port is checked instead).' }),
    env: t.field({ type: [EnvVarInput], description: 'Replaces the whole list; null or [] empties it.' }),
    ...RunningSettingsFields(t),
    ...LimitFields(t),
  }),
});

/** Fields that have a value in every deployment: null is not a way to leave them out. */
function notNull<T>(value: T | null | undefined, field: string): T | undefined {
  if (value === null) throw badInput(`${field} cannot be null: leave it out to keep its value`, field);
  return value;
}

builder.mutationFields((t) => ({
  updateDeployment: t.field({
    type: DeploymentRef,
    description: "Changes some of a deployment's settings; every input field is optional.",
    args: { id: t.arg.id({ required: true }), input: t.arg({ type: UpdateDeploymentInput, required: true }) },
    resolve: async (_root, { id: rawId, input }, { em, config }) => {
      const id = parseId(rawId);
      // Everything that can be checked without the database is checked first.
      const serviceName = notNull(input.serviceName, 'serviceName');
      const executor = notNull(input.executor, 'executor');
      const servicePath = notNull(input.servicePath, 'servicePath');
      const name = serviceName === undefined ? undefined : parseName(serviceName, 'serviceName');
      const healthCheckPath =
        input.healthCheckPath === undefined ? undefined : parseHealthCheckPath(input.healthCheckPath);
      const env = input.env === undefined ? undefined : parseEnv(input.env);
      const deployment = await em.findOne(DeploymentSchema, { id });
      if (!deployment) throw notFound('Deployment', id);
      const settings = parseRunningSettings(input, deployment);
      const memoryLimitMb = notNull(input.memoryLimitMb, 'memoryLimitMb');
      const cpuLimit = notNull(input.cpuLimit, 'cpuLimit');
      const pidsLimit = notNull(input.pidsLimit, 'pidsLimit');
      // A limit left out keeps its stored value (or the runner's default where none is stored).
      const limits =
        memoryLimitMb === undefined && cpuLimit === undefined && pidsLimit === undefined
          ? {}
          : parseLimits(
              {
                memoryLimitMb: memoryLimitMb ?? deployment.memoryLimitMb,
                cpuLimit: cpuLimit ?? (deployment.cpuLimit === null ? null : Number(deployment.cpuLimit)),
                pidsLimit: pidsLimit ?? deployment.pidsLimit,
              },
              config.defaultLimits,
            );
      let path: string | undefined;
      if (servicePath !== undefined) {
        const project = await em.findOneOrFail(ProjectSchema, { id: deployment.projectId });
        path = await parseServicePath(project.rootPath, servicePath);
      }
      em.assign(deployment, {
        ...settings,
        ...limits,
        ...(name !== undefined && { serviceName: name }),
        ...(path !== undefined && { servicePath: path }),
        ...(executor !== undefined && { executor }),
        ...(healthCheckPath !== undefined && { healthCheckPath }),
        ...(env !== undefined && { env }),
      });
      await em.flush();
      return deployment;
    },
  }),
  deleteDeployment: t.boolean({
    description:
      'Deletes a deployment with its workloads and their logs. Refused (INVALID_TRANSITION) while one of its workloads is live, a restart waiting for its backoff included.',
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, args, { db }) => {
      const id = parseId(args.id);
      const outcome = await deleteDeployment(db.pool, id);
      if (outcome.deleted) return true;
      if (outcome.reason === 'not_found') throw notFound('Deployment', id);
      throw invalidTransition(
        `Deployment ${id} has a live workload ${outcome.workloadId} (${outcome.stage}): stop it first, then delete the deployment`,
      );
    },
  }),
}));
