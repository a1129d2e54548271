import type { Queryable } from './queryable.ts';

/**
 * Where a walk over ended workloads stopped: the last one it saw, in
 * (finishedAt, id) order. `finishedAt` is PostgreSQL's own text of the
 * timestamp: a JavaScript Date would drop its microseconds, and a cursor
 * that sorts before its own row would find that row again, for ever.
 */
export interface EndedCursor {
  finishedAt: string;
  id: string;
}

/**
 * Up to `limit` workloads that ended before `cutoff`, oldest first, after
 * `cursor`: the log retention walks them page by page. Keyset paging on
 * `workload_finished_idx` (finished_at, id, only ended workloads), so a page
 * costs the same however many workloads ended before it, and a walk that
 * resumes where it stopped does not see a workload twice.
 */
export async function endedWorkloads(
  db: Queryable,
  cutoff: Date,
  cursor: EndedCursor | null,
  limit: number,
): Promise<EndedCursor[]> {
  const result = await db.query(
    `select "finished_at"::text as "finished_at", "id" from "workload"
      where "finished_at" is not null and "finished_at" < $1
        and ($2::timestamptz is null or ("finished_at", "id") > ($2, $3::uuid))
      order by "finished_at", "id"
      limit $4`,
    [cutoff, cursor?.finishedAt ?? null, cursor?.id ?? null, limit],
  );
  return result.rows.map((r) => ({ finishedAt: r.finished_at as string, id: r.id as string }));
}
