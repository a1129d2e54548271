import type { Queryable } from './queryable.ts';

export interface RunningResources {
  workloadId: string;
  deploymentId: string;
  memoryBytes: number;
  cpuSeconds: number;
}

/**
 * The latest resource sample of each workload that is `running` now: only
 * those, so a workload's series end with it and the number of series stays
 * the number of running services.
 */
export async function runningResources(db: Queryable): Promise<RunningResources[]> {
  const { rows } = await db.query(
    `select w."id", w."deployment_id", r."memory_bytes", r."cpu_seconds"
       from "workload" w
       join "workload_resource" r on r."workload_id" = w."id"
      where w."stage" = 'running'`,
  );
  return rows.map((r) => ({
    workloadId: r.id as string,
    deploymentId: r.deployment_id as string,
    memoryBytes: r.memory_bytes as number,
    cpuSeconds: r.cpu_seconds as number,
  }));
}

/** Upserts a workload's latest sample (the runner, every few seconds while it runs). */
export async function recordResources(
  db: Queryable,
  workloadId: string,
  sample: { memoryBytes: number; cpuSeconds: number },
): Promise<void> {
  await db.query(
    `insert into "workload_resource" ("workload_id", "memory_bytes", "cpu_seconds", "sampled_at")
     values ($1, $2, $3, now())
     on conflict ("workload_id") do update
       set "memory_bytes" = excluded."memory_bytes", "cpu_seconds" = excluded."cpu_seconds",
           "sampled_at" = excluded."sampled_at"`,
    [workloadId, sample.memoryBytes, sample.cpuSeconds],
  );
}

/** Removes a workload's sample once it has ended (its series are gone already; this keeps the table small). */
export async function forgetResources(db: Queryable, workloadId: string): Promise<void> {
  await db.query(`delete from "workload_resource" where "workload_id" = $1`, [workloadId]);
}
