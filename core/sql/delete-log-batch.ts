import type { Queryable } from './queryable.ts';

/**
 * Deletes the first `limit` entries of one workload's log (all of them when
 * fewer are left) and answers how many went: one range of the primary key,
 * up to the `limit`-th seq. The log retention calls it until fewer than `limit` go: each
 * call is a short transaction of its own that locks only the rows it
 * deletes (found through the (workload_id, seq) primary key), so nothing
 * else waits behind a big delete and the table's dead rows are left for
 * autovacuum a batch at a time. Only ended workloads are given to it, and
 * nothing writes to their logs any more.
 */
export async function deleteLogBatch(db: Queryable, workloadId: string, limit: number): Promise<number> {
  const result = await db.query(
    `delete from "workload_log"
      where "workload_id" = $1
        and "seq" <= coalesce(
              (select "seq" from "workload_log" where "workload_id" = $1 order by "seq" offset $2 - 1 limit 1),
              2147483647)`,
    [workloadId, limit],
  );
  return result.rowCount ?? 0;
}
