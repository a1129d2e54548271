import { randomUUID } from 'node:crypto';
import { defineEntity, type InferEntity } from '@mikro-orm/core';
import { timestamps } from './timestamps.ts';

export const ProjectSchema = defineEntity({
  name: 'Project',
  tableName: 'project',
  properties: (p) => ({
    id: p
      .uuid()
      .primary()
      .onCreate(() => randomUUID()),
    name: p.text(),
    rootPath: p.text(),
    ...timestamps(p),
  }),
});

export type Project = InferEntity<typeof ProjectSchema>;
