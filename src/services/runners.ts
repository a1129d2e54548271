import { setTimeout as sleep } from 'node:timers/promises';
import type { Runner } from '../../core/db/entities/index.ts';
import type { Queryable } from '../../core/sql/queryable.ts';
import {
  countUnconfirmedRestarts,
  readRunners,
  requestRunnerRestart,
} from '../../core/sql/runner-restart.ts';
import { badInput, notFound } from '../errors.ts';

/** A runner is alive while its heartbeat is younger than this. */
export const RUNNER_ALIVE_MS = 15_000;
/** How long restartRunners waits for the runners to confirm. */
export const RESTART_WAIT_MS = 10_000;
const RESTART_POLL_MS = 200;

export const isAlive = (r: Runner): boolean =>
  !r.stoppedAt && Date.now() - r.lastHeartbeatAt.getTime() < RUNNER_ALIVE_MS;

/**
 * Asks runners (every live one when `ids` is null) to restart their claim
 * loop and database connections, then waits up to RESTART_WAIT_MS until each
 * has confirmed (restartedAt >= restartRequestedAt) and returns their rows.
 * The request rides on a NOTIFY; the wait polls the rows, so a runner that
 * confirms through its next heartbeat instead is seen too.
 */
export async function restartRunners(db: Queryable, ids: readonly string[] | null): Promise<Runner[]> {
  if (ids) await checkRestartable(db, ids);
  const requested = await requestRunnerRestart(db, ids, RUNNER_ALIVE_MS);
  const requestedIds = requested.map((r) => r.id);
  if (requestedIds.length === 0) return [];
  const deadline = Date.now() + RESTART_WAIT_MS;
  while ((await countUnconfirmedRestarts(db, requestedIds)) > 0 && Date.now() < deadline) {
    await sleep(RESTART_POLL_MS);
  }
  return readRunners(db, requestedIds);
}

/** Named runners must exist (NOT_FOUND) and be alive (BAD_USER_INPUT): a dead one cannot restart. */
async function checkRestartable(db: Queryable, ids: readonly string[]): Promise<void> {
  const found = new Map((await readRunners(db, ids)).map((r) => [r.id, r]));
  for (const id of ids) {
    const runner = found.get(id);
    if (!runner) throw notFound('Runner', id);
    if (!isAlive(runner)) {
      throw badInput(
        `Runner ${id} is not alive (last heartbeat ${runner.lastHeartbeatAt.toISOString()}${runner.stoppedAt ? ', stopped' : ''}): only a live runner can restart`,
        'ids',
      );
    }
  }
}
