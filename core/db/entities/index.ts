export * from './deployment.ts';
export * from './project.ts';
export * from './runner.ts';
export * from './workload.ts';
export * from './workload-log.ts';
export * from './workload-stage.ts';

import { DeploymentSchema } from './deployment.ts';
import { ProjectSchema } from './project.ts';
import { RunnerSchema } from './runner.ts';
import { WorkloadSchema } from './workload.ts';
import { WorkloadLogSchema } from './workload-log.ts';
import { WorkloadStageSchema } from './workload-stage.ts';

export const entities = [
  ProjectSchema,
  DeploymentSchema,
  RunnerSchema,
  WorkloadSchema,
  WorkloadLogSchema,
  WorkloadStageSchema,
];
