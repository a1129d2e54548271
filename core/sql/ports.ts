import type { WorkloadStage } from '../stages.ts';
import { type Queryable, SQLSTATE, sqlState } from './queryable.ts';
import { transitionWorkload } from './transition.ts';
import type { WorkloadRow } from './workload-row.ts';

/** The partial unique index on the port of every live (non-terminal) workload. */
export const LIVE_PORT_INDEX = 'workload_live_port_unique';

/** What `transitionWithPort` answers when another live workload holds the port. */
export const PORT_TAKEN = 'port-taken';

/**
 * Moves a workload `from` → `to` and records `port` on it, in one
 * conditional UPDATE (`transitionWorkload`): one round trip for the stage
 * change and the reservation. The index LIVE_PORT_INDEX is the arbiter
 * across runners and hosts: of two workloads given the same port, the second
 * statement fails with SQLSTATE 23505 on that index and changes nothing, and
 * we answer PORT_TAKEN so the caller tries another port. Null, as for any
 * transition, when the workload was no longer in `from` (another actor moved
 * it). A terminal stage takes the row out of the index, which releases the port.
 */
export async function transitionWithPort(
  db: Queryable,
  id: string,
  from: WorkloadStage,
  to: WorkloadStage,
  port: number,
): Promise<WorkloadRow | null | typeof PORT_TAKEN> {
  try {
    return await transitionWorkload(db, id, from, to, { port });
  } catch (error) {
    if (sqlState(error) === SQLSTATE.uniqueViolation && constraintOf(error) === LIVE_PORT_INDEX) {
      return PORT_TAKEN;
    }
    throw error;
  }
}

/** The constraint (or unique index) a failed statement names, as pg reports it. */
function constraintOf(error: unknown): string | undefined {
  const constraint = (error as { constraint?: unknown } | null)?.constraint;
  return typeof constraint === 'string' ? constraint : undefined;
}
