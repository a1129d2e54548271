import type { InputFieldBuilder } from '@pothos/core';
import type { builder } from './builder.ts';
import { RestartPolicyEnum } from './enums.ts';

type Types = typeof builder extends PothosSchemaTypes.SchemaBuilder<infer T> ? T : never;

/**
 * The running-stage settings as input fields, the same in
 * CreateDeploymentInput and UpdateDeploymentInput. Optional everywhere:
 * left out, a create takes the default and an update keeps the value.
 */
export function RunningSettingsFields(t: InputFieldBuilder<Types, 'InputObject'>) {
  return {
    healthCheckIntervalMs: t.int({
      description:
        'Time between health checks while running, 100 ms to 1 h; 0 turns them off. Default 10000.',
    }),
    healthCheckTimeoutMs: t.int({
      description: 'How long one health check may take, below healthCheckIntervalMs. Default 2000.',
    }),
    healthCheckFailureThreshold: t.int({
      description: 'Failed health checks in a row that end the workload failed (at least 1). Default 3.',
    }),
    restartPolicy: t.field({ type: RestartPolicyEnum, description: 'Default never.' }),
    maxRestarts: t.int({ description: 'Restarts in a row the policy allows, 0 to 100. Default 5.' }),
  };
}

/** The §8 limits as input fields, the same in CreateDeploymentInput and UpdateDeploymentInput. */
export function LimitFields(t: InputFieldBuilder<Types, 'InputObject'>) {
  return {
    memoryLimitMb: t.int({ description: 'MB (MiB), at least 32; default AGENTFORGE_DEFAULT_MEMORY_MB.' }),
    cpuLimit: t.float({
      description: 'Cores, above 0 and at most the host has; default AGENTFORGE_DEFAULT_CPUS.',
    }),
    pidsLimit: t.int({ description: 'Processes, at least 8; default AGENTFORGE_DEFAULT_PIDS.' }),
  };
}
