import { FAILURE_REASONS } from '../../core/failure-reasons.ts';
import {
  DEPLOYMENT_STATUSES,
  EXECUTORS,
  LOG_LEVELS,
  RESTART_POLICIES,
  WORKLOAD_STAGES,
} from '../../core/stages.ts';
import { builder } from './builder.ts';

export const WorkloadStageEnum = builder.enumType('WorkloadStage', { values: WORKLOAD_STAGES });
export const LogLevelEnum = builder.enumType('LogLevel', { values: LOG_LEVELS });
export const DeploymentStatusEnum = builder.enumType('DeploymentStatus', { values: DEPLOYMENT_STATUSES });
export const ExecutorEnum = builder.enumType('Executor', { values: EXECUTORS });
export const FailureReasonEnum = builder.enumType('FailureReason', { values: FAILURE_REASONS });
export const RestartPolicyEnum = builder.enumType('RestartPolicy', {
  values: RESTART_POLICIES,
  description:
    'What happens when a running workload ends: never restarted; restarted when it failed (crash, health check, memory); or restarted however it ended except by a stop request.',
});
