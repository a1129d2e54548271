import type { defineEntity } from '@mikro-orm/core';

type Builders = typeof defineEntity.properties;

/** `createdAt` / `updatedAt` columns (timestamptz), set by the ORM on insert and update. */
export const timestamps = (p: Builders) => ({
  createdAt: p
    .datetime()
    .columnType('timestamptz')
    .onCreate(() => new Date()),
  updatedAt: p
    .datetime()
    .columnType('timestamptz')
    .onCreate(() => new Date())
    .onUpdate(() => new Date()),
});
