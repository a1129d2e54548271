import { randomUUID } from 'node:crypto';
import { defineEntity, type InferEntity } from '@mikro-orm/core';
import { EXECUTORS, RESTART_POLICIES } from '../../stages.ts';
import { ProjectSchema } from './project.ts';
import { timestamps } from './timestamps.ts';

export interface EnvVar {
  name: string;
  value: string;
}

export const DeploymentSchema = defineEntity({
  name: 'Deployment',
  tableName: 'deployment',
  properties: (p) => ({
    id: p
      .uuid()
      .primary()
      .onCreate(() => randomUUID()),
    projectId: p.manyToOne(ProjectSchema).mapToPk().fieldName('project_id').deleteRule('cascade').index(),
    serviceName: p.text(),
    servicePath: p.text(),
    executor: p.enum([...EXECUTORS]),
    healthCheckPath: p.text().nullable(),
    env: p
      .json<EnvVar[]>()
      .columnType('jsonb')
      .onCreate(() => []),
    /** Periodic health checks while running (0: off); see runner/health. */
    healthCheckIntervalMs: p.integer().default(10_000),
    healthCheckTimeoutMs: p.integer().default(2_000),
    healthCheckFailureThreshold: p.integer().default(3),
    restartPolicy: p.enum([...RESTART_POLICIES]).default('never'),
    maxRestarts: p.integer().default(5),
    ...timestamps(p),
  }),
});

export type Deployment = InferEntity<typeof DeploymentSchema>;
