import type { Queryable } from './queryable.ts';

export interface RunningResources {
  workloadId: string;
  deploymentId: string;
  memoryBytes: number;
  cpuSeconds: number;
}

/**
 * The last resource sample (record-resources.ts) of each workload that is
 * `running` now and has one: only those, so a workload's series end with it
 * and the number of series stays the number of running services.
 */
export async function runningResources(db: Queryable): Promise<RunningResources[]> {
  const { rows } = await db.query(
    `select "id", "deployment_id", "memory_bytes", "cpu_seconds"
       from "workload"
      where "stage" = 'running' and "memory_bytes" is not null and "cpu_seconds" is not null`,
  );
  return rows.map((r) => ({
    workloadId: r.id as string,
    deploymentId: r.deployment_id as string,
    memoryBytes: r.memory_bytes as number,
    cpuSeconds: r.cpu_seconds as number,
  }));
}
