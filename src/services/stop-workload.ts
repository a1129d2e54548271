import type pg from 'pg';
import { cancelPending } from '../../core/sql/cancel-pending.ts';
import { failOrphan } from '../../core/sql/fail-orphan.ts';
import { ownerIsGone } from '../../core/sql/runners.ts';
import { getWorkloadRow, requestStop } from '../../core/sql/transition.ts';
import type { WorkloadRow } from '../../core/sql/workload-row.ts';
import { isTerminal } from '../../core/stages.ts';
import { invalidTransition, notFound } from '../errors.ts';
import { abortable } from '../live/abortable.ts';
import type { LiveHub } from '../live/hub.ts';

/** How long stopWorkload waits for the owning runner beyond STOP_TIMEOUT_MS. */
export const STOP_WAIT_MARGIN_MS = 15_000;

export interface StopWorkloadDeps {
  pool: pg.Pool;
  live: Pick<LiveHub, 'workloadUpdates'>;
  stopTimeoutMs: number;
}

/**
 * Stops a running workload or cancels one on its way, and returns it once it
 * is terminal. The API never touches a process: a pending workload is
 * cancelled in one statement; any other live one gets a stop request, which
 * its runner obeys, and this waits for the terminal change on the live hub.
 * When the owning runner is gone nobody would answer, so the workload is
 * failed here, as the other runners' sweep would.
 */
export async function stopWorkload(
  { pool: db, live, stopTimeoutMs }: StopWorkloadDeps,
  id: string,
): Promise<WorkloadRow> {
  const current = await getWorkloadRow(db, id);
  if (!current) throw notFound('Workload', id);
  if (isTerminal(current.stage)) {
    throw invalidTransition(
      `Workload ${id} is already ${current.stage}: only a live workload can be stopped`,
    );
  }
  if (current.stage === 'pending') {
    const cancelled = await cancelPending(db, id);
    if (cancelled) return cancelled;
  }
  const requested = await requestStop(db, id);
  if (!requested) return (await getWorkloadRow(db, id))!;
  const orphaned = await failIfOwnerGone(db, requested);
  if (orphaned) return orphaned;
  const last = await waitForTerminal(live, id, stopTimeoutMs + STOP_WAIT_MARGIN_MS, requested);
  if (isTerminal(last.stage)) return last;
  return (await failIfOwnerGone(db, last)) ?? last;
}

/**
 * Fails `row` (as the other runners' sweep would) when the runner that
 * claimed it is gone; undefined when that runner is alive or none claimed it.
 */
async function failIfOwnerGone(db: pg.Pool, row: WorkloadRow): Promise<WorkloadRow | undefined> {
  if (!(await ownerIsGone(db, row.id))) return undefined;
  return (await failOrphan(db, row)) ?? (await getWorkloadRow(db, row.id)) ?? row;
}

async function waitForTerminal(
  live: StopWorkloadDeps['live'],
  id: string,
  timeoutMs: number,
  fallback: WorkloadRow,
): Promise<WorkloadRow> {
  let last = fallback;
  const signal = AbortSignal.timeout(timeoutMs);
  for await (const row of abortable((inner) => live.workloadUpdates(id, AbortSignal.any([inner, signal])))) {
    last = row;
    if (isTerminal(row.stage)) break;
  }
  return last;
}
