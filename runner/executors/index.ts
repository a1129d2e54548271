import { dockerExecutor } from './docker.ts';
import { LocalExecutor } from './local.ts';
import type { ServiceExecutor } from './types.ts';

export type ExecutorRegistry = Partial<Record<ServiceExecutor['name'], ServiceExecutor>>;

/**
 * The executors a runner can hand a workload to, by the name validate
 * decides. Add an implementation here and validate can choose it.
 */
export function createExecutors(): ExecutorRegistry {
  return {
    local: new LocalExecutor(),
    docker: dockerExecutor,
  };
}
