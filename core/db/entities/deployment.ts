import { randomUUID } from 'node:crypto';
import { defineEntity, type InferEntity } from '@mikro-orm/core';
import { EXECUTORS, RESTART_POLICIES } from '../../stages.ts';
import { ProjectSchema } from './project.ts';
import { timestamps } from './timestamps.ts';

export interface EnvVar {
  name: string;
  value: string;
  /** A secret reads back as null through the API; no value ever reaches a log. */
  secret?: boolean;
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
    /** Limits (docs/containment.md); null on rows older than the columns: the runner's defaults apply. */
    memoryLimitMb: p.integer().nullable().fieldName('memory_limit_mb'),
    cpuLimit: p.double().nullable().fieldName('cpu_limit'),
    pidsLimit: p.integer().nullable().fieldName('pids_limit'),
    ...timestamps(p),
  }),
});

export type Deployment = InferEntity<typeof DeploymentSchema>;
