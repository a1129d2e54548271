import { canTransition, isTerminal, sqlStageList, TERMINAL_STAGES, type WorkloadStage } from '../stages.ts';
import type { Queryable } from './queryable.ts';
import { recordStageChange } from './stage-ledger.ts';
import {
  notifyWorkloadUpdated,
  patchAssignments,
  toWorkloadRow,
  type WorkloadPatch,
  type WorkloadRow,
} from './workload-row.ts';

/**
 * Moves a workload from `from` to `to` with one conditional UPDATE
 * (`where id = $1 and stage = $2`): of two actors racing on the same
 * workload exactly one wins, and the loser gets `null` back and must re-read.
 * A terminal target also stamps `finished_at`; the NOTIFY in the same
 * statement is delivered at commit, so listeners never see uncommitted state.
 * The same statement closes the stage visit it leaves and opens the next in
 * `workload_stage` (STAGE_LEDGER), only when the move happened.
 *
 * Throws for a move the stage machine forbids: that is a bug in the caller,
 * not a race.
 */
export async function transitionWorkload(
  db: Queryable,
  id: string,
  from: WorkloadStage,
  to: WorkloadStage,
  patch: WorkloadPatch = {},
): Promise<WorkloadRow | null> {
  if (!canTransition(from, to)) throw new Error(`Illegal workload transition ${from} → ${to}`);
  if ((to === 'failed') !== (patch.failureReason !== undefined)) {
    throw new Error(`A move to failed, and only that, carries a failure reason (${from} → ${to})`);
  }
  const { sql, values } = patchAssignments(patch, 4);
  const sets = [`"stage" = $3`, `"updated_at" = now()`, ...sql];
  if (isTerminal(to)) sets.push(`"finished_at" = now()`);
  const result = await db.query(
    `with moved as (
       update "workload" set ${sets.join(', ')}
        where "id" = $1 and "stage" = $2
        returning *
     ), ${recordStageChange('moved', '$2')}
     select moved.*, ${notifyWorkloadUpdated('moved')} from moved`,
    [id, from, to, ...values],
  );
  const row = result.rows[0];
  return row ? toWorkloadRow(row) : null;
}

/** Sets columns without a stage change (pid, port, containerId…), with the same NOTIFY. */
export async function updateWorkload(
  db: Queryable,
  id: string,
  patch: WorkloadPatch,
): Promise<WorkloadRow | null> {
  const { sql, values } = patchAssignments(patch, 2);
  if (sql.length === 0) throw new Error('updateWorkload needs at least one column');
  const result = await db.query(
    `with changed as (
       update "workload" set ${[...sql, `"updated_at" = now()`].join(', ')}
        where "id" = $1
        returning *
     )
     select changed.*, ${notifyWorkloadUpdated('changed')} from changed`,
    [id, ...values],
  );
  const row = result.rows[0];
  return row ? toWorkloadRow(row) : null;
}

/**
 * Records a stop request (API side) on a live workload. Returns null when the
 * id is unknown or the workload is already terminal (terminal rows never change).
 */
export async function requestStop(db: Queryable, id: string): Promise<WorkloadRow | null> {
  const result = await db.query(
    `with changed as (
       update "workload" set "stop_requested" = true, "updated_at" = now()
        where "id" = $1 and "stage" not in ${sqlStageList(TERMINAL_STAGES)}
        returning *
     )
     select changed.*, ${notifyWorkloadUpdated('changed')} from changed`,
    [id],
  );
  const row = result.rows[0];
  return row ? toWorkloadRow(row) : null;
}

export async function getWorkloadRow(db: Queryable, id: string): Promise<WorkloadRow | null> {
  const result = await db.query(`select * from "workload" where "id" = $1`, [id]);
  const row = result.rows[0];
  return row ? toWorkloadRow(row) : null;
}
