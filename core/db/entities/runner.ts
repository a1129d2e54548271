import { defineEntity, type InferEntity } from '@mikro-orm/core';

/** One row per runner process; `alive` is derived from the heartbeat. */
export const RunnerSchema = defineEntity({
  name: 'Runner',
  tableName: 'runner',
  properties: (p) => ({
    id: p.uuid().primary(),
    hostname: p.text(),
    pid: p.integer(),
    concurrency: p.integer(),
    activeWorkloads: p.integer().default(0),
    startedAt: p.datetime().columnType('timestamptz'),
    lastHeartbeatAt: p.datetime().columnType('timestamptz'),
    stoppedAt: p.datetime().columnType('timestamptz').nullable(),
    restartRequestedAt: p.datetime().columnType('timestamptz').nullable(),
    restartedAt: p.datetime().columnType('timestamptz').nullable(),
  }),
});

export type Runner = InferEntity<typeof RunnerSchema>;
