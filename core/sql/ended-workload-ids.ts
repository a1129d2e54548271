import type { Queryable } from './queryable.ts';

/**
 * Of `ids` (names found on this host: working copies, cgroups), those of
 * workloads of this database that have ended. Names this database does not
 * know are not in the answer: they may belong to another installation on
 * the same host, and are left alone. One statement over the primary key
 * for the whole list: the sweep that asks runs at start and every few
 * heartbeats, with at most a few hundred names.
 */
export async function endedWorkloadIds(db: Queryable, ids: string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const result = await db.query(
    `select "id" from "workload" where "id" = any($1::uuid[]) and "stage" in ('stopped', 'failed')`,
    [ids],
  );
  return new Set(result.rows.map((r) => r.id as string));
}
