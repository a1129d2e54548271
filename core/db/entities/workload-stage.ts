import { defineEntity, type InferEntity } from '@mikro-orm/core';
import { FAILURE_REASONS } from '../../failure-reasons.ts';
import { WORKLOAD_STAGES } from '../../stages.ts';

/**
 * One visit of a workload to a stage: when it entered and left, and where it
 * went. Written by the statements that move workloads (create, claim,
 * transition), in the same statement, so the timings are the stage changes'
 * own. It is a ledger: no foreign key to `workload`, so deleting a
 * deployment's history leaves the counts the metrics derive from it
 * (Prometheus counters must never go down).
 */
export const WorkloadStageSchema = defineEntity({
  name: 'WorkloadStage',
  tableName: 'workload_stage',
  properties: (p) => ({
    workloadId: p.uuid().primary().fieldName('workload_id'),
    stage: p.enum([...WORKLOAD_STAGES]).primary(),
    deploymentId: p.uuid().fieldName('deployment_id'),
    /** Null only for rows of workloads older than this table (their stage times are unknown). */
    enteredAt: p.datetime().columnType('timestamptz').nullable(),
    leftAt: p.datetime().columnType('timestamptz').nullable(),
    /** The stage it moved to when it left. */
    nextStage: p.enum([...WORKLOAD_STAGES]).nullable(),
    /** Set when it left for `failed`. */
    failureReason: p.enum([...FAILURE_REASONS]).nullable(),
  }),
  primaryKeys: ['workloadId', 'stage'],
  indexes: [{ name: 'workload_stage_deployment_idx', properties: ['deploymentId', 'stage'] }],
});

export type WorkloadStageVisit = InferEntity<typeof WorkloadStageSchema>;
