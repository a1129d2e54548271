import { randomUUID } from 'node:crypto';
import { defineEntity, type InferEntity } from '@mikro-orm/core';
import { EXECUTORS } from '../../stages.ts';
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
    ...timestamps(p),
  }),
});

export type Deployment = InferEntity<typeof DeploymentSchema>;
