import type { Queryable } from './queryable.ts';
import { notifyWorkloadUpdated } from './workload-row.ts';

export interface ResourceSample {
  workloadId: string;
  cpuPercent: number;
  /** Cumulative CPU time of the workload (the counter cpuPercent is derived from). */
  cpuSeconds: number;
  memoryBytes: number;
  pids: number;
}

/**
 * Records one sampling round of a runner, every workload in one statement
 * (one round trip every 5 s however many services run), from parallel
 * arrays (`unnest`). Only running workloads take a sample, so a late round
 * never writes onto a terminal row; `peak_memory_bytes` keeps the highest
 * memory seen; `cpu_seconds` is the cumulative CPU time as read (the
 * metrics' counter). Each changed row is announced like any other change
 * (workloadUpdated listeners see the new sample).
 */
export async function recordResources(db: Queryable, samples: ResourceSample[]): Promise<number> {
  if (samples.length === 0) return 0;
  const result = await db.query(
    `with sample as (
       select * from unnest($1::uuid[], $2::float8[], $3::float8[], $4::int[], $5::float8[])
         as s("id", "cpu_percent", "memory_bytes", "pids", "cpu_seconds")
     ), changed as (
       update "workload" w
          set "cpu_percent" = s."cpu_percent", "memory_bytes" = s."memory_bytes", "pids" = s."pids",
              "cpu_seconds" = s."cpu_seconds",
              "sampled_at" = now(), "updated_at" = now(),
              "peak_memory_bytes" = greatest(coalesce(w."peak_memory_bytes", 0), s."memory_bytes")
         from sample s
        where w."id" = s."id" and w."stage" = 'running'
        returning w.*
     )
     select changed."id", ${notifyWorkloadUpdated('changed')} from changed`,
    [
      samples.map((s) => s.workloadId),
      samples.map((s) => s.cpuPercent),
      samples.map((s) => s.memoryBytes),
      samples.map((s) => s.pids),
      samples.map((s) => s.cpuSeconds),
    ],
  );
  return result.rowCount ?? 0;
}
