import type { Deployment, Project, Runner } from '../../core/db/entities/index.ts';
import type { LogEntryRow } from '../../core/sql/read-logs.ts';
import type { WorkloadRow } from '../../core/sql/workload-row.ts';
import { builder } from './builder.ts';

/**
 * Object references, declared apart from their fields so the type files can
 * refer to each other without import cycles.
 */
export const ProjectRef = builder.objectRef<Project>('Project');
export const DeploymentRef = builder.objectRef<Deployment>('Deployment');
export const WorkloadRef = builder.objectRef<WorkloadRow>('Workload');
export const WorkloadLogEntryRef = builder.objectRef<LogEntryRow>('WorkloadLogEntry');
export const RunnerRef = builder.objectRef<Runner>('Runner');

export const WorkloadConnection = builder.connectionObject({ type: WorkloadRef, name: 'WorkloadConnection' });
