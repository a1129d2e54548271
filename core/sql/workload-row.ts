import type { FailureReason } from '../failure-reasons.ts';
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
  failureReason: FailureReason | null;
  exitCode: number | null;
  stopRequested: boolean;
  runnerId: string | null;
  logSeq: number;
  /** The workload this one restarts (restart policy), null for one a client created. */
  restartOf: string | null;
  /** 1 for a workload a client created, one more for each restart. */
  attempt: number;
  /** Restarts in a row up to this one that count towards maxRestarts. */
  restartCount: number;
  /** Not claimed before this time (a restart's backoff). */
  scheduledAt: Date | null;
  /** The last resource sample, null before the first. */
  resources: ResourceUsage | null;
  peakMemoryBytes: number | null;
  createdAt: Date;
  updatedAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

export interface ResourceUsage {
  cpuPercent: number;
  memoryBytes: number;
  pids: number;
  sampledAt: Date;
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
    failureReason: (r.failure_reason ?? null) as FailureReason | null,
    exitCode: r.exit_code as number | null,
    stopRequested: r.stop_requested as boolean,
    runnerId: r.runner_id as string | null,
    logSeq: r.log_seq as number,
    restartOf: (r.restart_of as string | null) ?? null,
    attempt: (r.attempt as number) ?? 1,
    restartCount: (r.restart_count as number) ?? 0,
    scheduledAt: (r.scheduled_at as Date | null) ?? null,
    resources:
      r.sampled_at == null
        ? null
        : {
            cpuPercent: r.cpu_percent as number,
            memoryBytes: r.memory_bytes as number,
            pids: r.pids as number,
            sampledAt: r.sampled_at as Date,
          },
    peakMemoryBytes: (r.peak_memory_bytes as number | null) ?? null,
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
  /** Required with a move to `failed`, refused otherwise. */
  failureReason?: FailureReason;
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
  failureReason: 'failure_reason',
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

/**
 * Channel that carries every committed change of a workload row. The payload
 * is `{"xid": "<writing transaction>", "row": <the row as JSON>}` so a
 * listener gets each state in commit order (NOTIFY delivers in commit order)
 * instead of re-reading and missing states committed close together; a row
 * too big for NOTIFY's 8000-byte cap is sent as the bare id, on which a
 * listener re-reads it. `xid` lets a listener tell whether a change is
 * already part of a row it read (see `xidVisibleIn`).
 */
export const WORKLOAD_UPDATED_CHANNEL = 'agentforge_workload_updated';

/** Stays under NOTIFY's 8000-byte payload cap with room to spare. */
const MAX_ROW_PAYLOAD = 7900;

/**
 * The `pg_notify(…)` call announcing the row `alias` (a CTE of `returning *`)
 * on WORKLOAD_UPDATED_CHANNEL: the one definition every statement that
 * changes a workload uses. It runs in the statement that changes the row, so
 * it is delivered at commit, never for uncommitted state.
 */
export function notifyWorkloadUpdated(alias: string): string {
  return `pg_notify('${WORKLOAD_UPDATED_CHANNEL}', (
      select case when octet_length(n_payload.text) <= ${MAX_ROW_PAYLOAD} then n_payload.text else ${alias}."id"::text end
        from (select json_build_object('xid', pg_current_xact_id()::text, 'row', row_to_json(${alias}))::text as text) as n_payload
    ))`;
}

/** What a WORKLOAD_UPDATED_CHANNEL payload says: the workload, and its committed row when it fit. */
export interface WorkloadUpdate {
  id: string;
  /** The writing transaction (xid8 as text), with `row`. */
  xid?: string;
  row?: WorkloadRow;
}

export function parseWorkloadUpdate(payload: string): WorkloadUpdate {
  if (!payload.startsWith('{')) return { id: payload };
  const { xid, row } = JSON.parse(payload) as { xid: string; row: Record<string, unknown> };
  return { id: row.id as string, xid, row: toWorkloadRow(jsonRowToPg(row)) };
}

const TIMESTAMP_COLUMNS = [
  'created_at',
  'updated_at',
  'started_at',
  'finished_at',
  'scheduled_at',
  'sampled_at',
] as const;

/** row_to_json writes timestamps as text; pg would have parsed them to Dates. */
function jsonRowToPg(row: Record<string, unknown>): Record<string, unknown> {
  for (const column of TIMESTAMP_COLUMNS) {
    const value = row[column];
    if (typeof value === 'string') row[column] = new Date(value);
  }
  return row;
}
