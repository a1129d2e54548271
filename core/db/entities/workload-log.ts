import { defineEntity, type InferEntity } from '@mikro-orm/core';
import { LOG_LEVELS, WORKLOAD_STAGES } from '../../stages.ts';

/**
 * One log entry. Rows are written only by the batch statements of
 * `core/sql/` (insert-logs.ts, copy-logs.ts); the entity exists for the
 * schema and for ORM reads.
 *
 * `workloadId` is deliberately not a foreign key: a per-row check would cost
 * two thirds of a COPY batch, and every batch already proves its workload
 * exists by reserving seq on the workload row in the same transaction. A
 * statement-level trigger on `workload` deletes the log of deleted workloads
 * (migrations/Migration20261202140100.ts).
 */
export const WorkloadLogSchema = defineEntity({
  name: 'WorkloadLog',
  tableName: 'workload_log',
  properties: (p) => ({
    workloadId: p.uuid().fieldName('workload_id').primary(),
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
