import { randomUUID } from 'node:crypto';
import { defineEntity, type InferEntity } from '@mikro-orm/core';
import { FAILURE_REASONS } from '../../failure-reasons.ts';
import { EXECUTORS, INITIAL_STAGE, sqlStageList, TERMINAL_STAGES, WORKLOAD_STAGES } from '../../stages.ts';
import { DeploymentSchema } from './deployment.ts';
import { RunnerSchema } from './runner.ts';
import { timestamps } from './timestamps.ts';

export const WorkloadSchema = defineEntity({
  name: 'Workload',
  tableName: 'workload',
  properties: (p) => ({
    id: p
      .uuid()
      .primary()
      .onCreate(() => randomUUID()),
    deploymentId: p.manyToOne(DeploymentSchema).mapToPk().fieldName('deployment_id').deleteRule('cascade'),
    servicePath: p.text(),
    stage: p.enum([...WORKLOAD_STAGES]).default(INITIAL_STAGE),
    /** The executor decided in `validate` (null until then). */
    executor: p.enum([...EXECUTORS]).nullable(),
    containerId: p.text().nullable(),
    pid: p.integer().nullable(),
    port: p.integer().nullable(),
    url: p.text().nullable(),
    error: p.text().nullable(),
    failedStage: p.enum([...WORKLOAD_STAGES]).nullable(),
    /** Why it failed (failure-reasons.ts); set exactly when the stage is `failed`. */
    failureReason: p.enum([...FAILURE_REASONS]).nullable(),
    exitCode: p.integer().nullable(),
    stopRequested: p.boolean().default(false),
    runnerId: p
      .manyToOne(RunnerSchema)
      .mapToPk()
      .fieldName('runner_id')
      .nullable()
      .deleteRule('set null')
      .index(),
    /** The workload this one restarts (restart policy); null for one a client created. */
    // A getter: the schema refers to itself, so the target is read once it exists.
    restartOf: () =>
      p.manyToOne(WorkloadSchema).mapToPk().fieldName('restart_of').nullable().deleteRule('set null').index(),
    /** 1 for a workload a client created, one more for each restart of it. */
    attempt: p.integer().default(1),
    /** Restarts in a row before this one that count towards maxRestarts (reset after 10 min of running). */
    restartCount: p.integer().default(0),
    /** No runner claims it before this time (a restart's backoff). */
    scheduledAt: p.datetime().columnType('timestamptz').nullable(),
    /** The last resource sample while running (runner/resources). */
    cpuPercent: p.double().nullable(),
    /** Cumulative CPU time at the last sample, in seconds (a counter, for the metrics). */
    cpuSeconds: p.double().nullable(),
    memoryBytes: p.double().nullable(),
    pids: p.integer().nullable(),
    sampledAt: p.datetime().columnType('timestamptz').nullable(),
    peakMemoryBytes: p.double().nullable(),
    /** Last log `seq` handed out; the log writer reserves ranges from it. */
    logSeq: p.integer().default(0),
    ...timestamps(p),
    startedAt: p.datetime().columnType('timestamptz').nullable(),
    finishedAt: p.datetime().columnType('timestamptz').nullable(),
  }),
  indexes: [
    { name: 'workload_deployment_created_idx', properties: ['deploymentId', 'createdAt'] },
    { name: 'workload_created_idx', properties: ['createdAt'] },
    // Log retention walks ended workloads oldest first.
    {
      name: 'workload_finished_idx',
      expression: `create index "workload_finished_idx" on "workload" ("finished_at", "id") where "finished_at" is not null`,
    },
    // The claim query scans pending workloads oldest first.
    {
      name: 'workload_pending_idx',
      expression: `create index "workload_pending_idx" on "workload" ("created_at") where "stage" = '${INITIAL_STAGE}'`,
    },
  ],
  uniques: [
    // A port belongs to at most one live workload, across every runner.
    {
      name: 'workload_live_port_unique',
      expression: `create unique index "workload_live_port_unique" on "workload" ("port") where "port" is not null and "stage" not in ${sqlStageList(TERMINAL_STAGES)}`,
    },
  ],
  // The stage, executor and failed_stage columns also get a check of their enum values.
  checks: [
    { name: 'workload_log_seq_check', expression: 'log_seq >= 0' },
    {
      name: 'workload_terminal_finished_check',
      // Written the way PostgreSQL prints it back, so schema diffs see no change.
      expression: `(stage = ANY (ARRAY[${TERMINAL_STAGES.map((s) => `'${s}'::text`).join(', ')}])) = (finished_at IS NOT NULL)`,
    },
    {
      name: 'workload_failed_has_reason_check',
      expression: `(stage = 'failed'::text) = (failure_reason IS NOT NULL)`,
    },
  ],
});

export type Workload = InferEntity<typeof WorkloadSchema>;
