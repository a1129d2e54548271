import { defineEntity, type InferEntity } from '@mikro-orm/core';
import { LOG_LEVELS, WORKLOAD_STAGES } from '../../stages.ts';
import { WorkloadSchema } from './workload.ts';

/**
 * One log entry. Rows are written only by `sql/insert-logs.ts` (batched);
 * the entity exists for the schema and for ORM reads.
 */
export const WorkloadLogSchema = defineEntity({
  name: 'WorkloadLog',
  tableName: 'workload_log',
  properties: (p) => ({
    workloadId: p
      .manyToOne(WorkloadSchema)
      .mapToPk()
      .fieldName('workload_id')
      .primary()
      .deleteRule('cascade'),
    seq: p.integer().primary(),
    ts: p.datetime().columnType('timestamptz'),
    stage: p.enum([...WORKLOAD_STAGES]),
    level: p.enum([...LOG_LEVELS]),
    message: p.text(),
  }),
  primaryKeys: ['workloadId', 'seq'],
  checks: [{ name: 'workload_log_seq_positive', expression: 'seq > 0' }],
});

export type WorkloadLog = InferEntity<typeof WorkloadLogSchema>;
