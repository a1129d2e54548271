import type { WorkloadStage } from '../stages.ts';
import type { Queryable } from './queryable.ts';

export interface StageDurationHistogram {
  stage: WorkloadStage;
  /** Cumulative counts, one per bound of `buckets` (values ≤ bound), as Prometheus wants them. */
  buckets: number[];
  count: number;
  sumSeconds: number;
}

/**
 * How long finished stage visits took, as cumulative histogram buckets per
 * stage, in one scan of `workload_stage`. The bounds are constants of the
 * code (never client input), written into the statement as numeric literals:
 * one `count(*) filter (where seconds <= bound)` per bound.
 */
export async function stageDurations(
  db: Queryable,
  bounds: readonly number[],
): Promise<StageDurationHistogram[]> {
  const columns = bounds.map((bound, i) => {
    if (!Number.isFinite(bound)) throw new Error(`Histogram bound ${bound} is not a number`);
    return `count(*) filter (where "seconds" <= ${Number(bound)})::float8 as "b${i}"`;
  });
  const { rows } = await db.query(
    `select "stage", count(*)::float8 as "count", coalesce(sum("seconds"), 0)::float8 as "sum", ${columns.join(', ')}
       from (select "stage", extract(epoch from "left_at" - "entered_at")::float8 as "seconds"
               from "workload_stage"
              where "left_at" is not null and "entered_at" is not null) as visits
      group by "stage"`,
  );
  return rows.map((r) => ({
    stage: r.stage as WorkloadStage,
    buckets: bounds.map((_, i) => r[`b${i}`] as number),
    count: r.count as number,
    sumSeconds: r.sum as number,
  }));
}
