import type { Executor, WorkloadStage } from '../stages.ts';

/** A `workload` row as the hot-path SQL returns it (`returning *`). */
export interface WorkloadRow {
  id: string;
  deploymentId: string;
  servicePath: string;
  stage: WorkloadStage;
  executor: Executor | null;
  containerId: string | null;
  pid: number | null;
  port: number | null;
  url: string | null;
  error: string | null;
  failedStage: WorkloadStage | null;
  exitCode: number | null;
  stopRequested: boolean;
  runnerId: string | null;
  logSeq: number;
  createdAt: Date;
  updatedAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

export function toWorkloadRow(r: Record<string, unknown>): WorkloadRow {
  return {
    id: r.id as string,
    deploymentId: r.deployment_id as string,
    servicePath: r.service_path as string,
    stage: r.stage as WorkloadStage,
    executor: r.executor as Executor | null,
    containerId: r.container_id as string | null,
    pid: r.pid as number | null,
    port: r.port as number | null,
    url: r.url as string | null,
    error: r.error as string | null,
    failedStage: r.failed_stage as WorkloadStage | null,
    exitCode: r.exit_code as number | null,
    stopRequested: r.stop_requested as boolean,
    runnerId: r.runner_id as string | null,
    logSeq: r.log_seq as number,
    createdAt: r.created_at as Date,
    updatedAt: r.updated_at as Date,
    startedAt: r.started_at as Date | null,
    finishedAt: r.finished_at as Date | null,
  };
}

/** Columns other code may set next to a stage change or on their own. */
export interface WorkloadPatch {
  executor?: Executor | null;
  containerId?: string | null;
  pid?: number | null;
  port?: number | null;
  url?: string | null;
  error?: string | null;
  failedStage?: WorkloadStage | null;
  exitCode?: number | null;
  startedAt?: Date | null;
}

const COLUMNS: Record<keyof WorkloadPatch, string> = {
  executor: 'executor',
  containerId: 'container_id',
  pid: 'pid',
  port: 'port',
  url: 'url',
  error: 'error',
  failedStage: 'failed_stage',
  exitCode: 'exit_code',
  startedAt: 'started_at',
};

/** `"col" = $n` assignments for a patch, numbering parameters from `firstParam`. */
export function patchAssignments(
  patch: WorkloadPatch,
  firstParam: number,
): { sql: string[]; values: unknown[] } {
  const sql: string[] = [];
  const values: unknown[] = [];
  for (const [key, value] of Object.entries(patch)) {
    const column = COLUMNS[key as keyof WorkloadPatch];
    if (!column || value === undefined) continue;
    values.push(value);
    sql.push(`"${column}" = $${firstParam + values.length - 1}`);
  }
  return { sql, values };
}

/** Channel that carries workload ids whose row changed (payload: the id). */
export const WORKLOAD_UPDATED_CHANNEL = 'agentforge_workload_updated';
