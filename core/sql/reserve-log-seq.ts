/** Channel that carries `<workload id>:<last seq>` after each committed batch. */
export const WORKLOAD_LOGS_CHANNEL = 'agentforge_workload_logs';

/**
 * The seq reservation every log batch starts with, as a CTE body for the
 * batch statements (insert-logs.ts, copy-logs.ts). Parameters: `$1` the
 * workload id, `$2` the number of entries, `$3` the seq the log must still
 * end at (null: wherever it ends). One row `(base, last)` comes back: the
 * batch's entries are `base + 1 … last`.
 *
 * - `update … set log_seq = log_seq + n` hands out the next n numbers. The
 *   row lock it takes serialises the writers of one workload until commit,
 *   so seq order is commit order and there are never gaps.
 * - The same lock is what makes the log table's missing foreign key safe:
 *   no row comes back for a workload that does not exist, so the batch
 *   writes nothing, and the workload cannot be deleted before the batch
 *   commits (the delete waits for the lock, then its trigger removes the
 *   log, rows of this batch included).
 * - With `$3`, a writer that retries after a lost answer can tell "my
 *   batch committed" (the log ends elsewhere: no row) from "nothing
 *   happened" instead of writing it twice.
 */
export const RESERVE_LOG_SEQ = `
  update "workload" set "log_seq" = "log_seq" + $2
   where "id" = $1 and ($3::int is null or "log_seq" = $3)
   returning "log_seq" - $2 as "base", "log_seq" as "last"`;

/**
 * The batch's NOTIFY, selected from the reservation: the workload id and
 * the last seq, then `rows` (an SQL text expression: '' or `:<rows>`, see
 * log-notification.ts). It is delivered only if the batch commits, after
 * its rows are visible.
 */
export const notifyLogBatch = (rows = "''") =>
  `pg_notify('${WORKLOAD_LOGS_CHANNEL}', $1 || ':' || reserved.last || ${rows})`;

/** Log entries for a workload that does not exist (any more): the reservation found no row. */
export class WorkloadGoneError extends Error {
  override name = 'WorkloadGoneError';
  constructor(readonly workloadId: string) {
    super(`Workload ${workloadId} does not exist`);
  }
}
