import { defineEntity, type InferEntity } from '@mikro-orm/core';
import { WorkloadSchema } from './workload.ts';

/**
 * The latest resource sample of a running workload, upserted by its runner
 * every few seconds. A table of its own so that sampling neither rewrites
 * the workload row nor wakes its `workloadUpdated` subscribers.
 */
export const WorkloadResourceSchema = defineEntity({
  name: 'WorkloadResource',
  tableName: 'workload_resource',
  properties: (p) => ({
    workloadId: p.oneToOne(WorkloadSchema).mapToPk().fieldName('workload_id').primary().deleteRule('cascade'),
    memoryBytes: p.double().columnType('double precision'),
    cpuSeconds: p.double().columnType('double precision'),
    sampledAt: p.datetime().columnType('timestamptz'),
  }),
});

export type WorkloadResource = InferEntity<typeof WorkloadResourceSchema>;
