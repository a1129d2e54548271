import type { Queryable } from './queryable.ts';
import { toWorkloadRow, type WorkloadRow } from './workload-row.ts';

/** A workload row and the snapshot it was read in. */
export interface WorkloadState {
  row: WorkloadRow;
  /** `pg_current_snapshot()` of the read, as text (`xmin:xmax:xip,…`). */
  snapshot: string;
}

/**
 * Reads a workload row together with the statement's own snapshot
 * (`pg_current_snapshot()` is the active snapshot of this very statement).
 * A live subscriber joins the stream of row changes (WORKLOAD_UPDATED_CHANNEL
 * payloads, each naming its transaction) with this read: a change whose
 * transaction is visible in the snapshot is already part of the row read, any
 * other comes after it. That splices "current state, then every change"
 * without a gap or a step back, however the notifications and the read race.
 */
export async function readWorkloadState(db: Queryable, id: string): Promise<WorkloadState | null> {
  const result = await db.query(
    `select w.*, pg_current_snapshot()::text as "snapshot" from "workload" w where w."id" = $1`,
    [id],
  );
  const row = result.rows[0];
  return row ? { row: toWorkloadRow(row), snapshot: row.snapshot as string } : null;
}
