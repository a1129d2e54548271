import { createWorkloadRow } from '../../core/sql/create-workload.ts';
import { deploymentWithRoot } from '../../core/sql/deployment-with-root.ts';
import { type Queryable, SQLSTATE, sqlState } from '../../core/sql/queryable.ts';
import type { WorkloadRow } from '../../core/sql/workload-row.ts';
import { notFound } from '../errors.ts';
import { parseServicePath } from '../validation/paths.ts';

/**
 * A new pending workload of `deploymentId` (already a parsed id). The service
 * path defaults to the deployment's and is judged against its project's root
 * like at creation; a runner claims the row and takes it through the stages.
 */
export async function createWorkload(
  db: Queryable,
  deploymentId: string,
  servicePath: string | null | undefined,
): Promise<WorkloadRow> {
  const deployment = await deploymentWithRoot(db, deploymentId);
  if (!deployment) throw notFound('Deployment', deploymentId);
  const path = await parseServicePath(deployment.rootPath, servicePath ?? deployment.servicePath);
  try {
    return await createWorkloadRow(db, deploymentId, path);
  } catch (error) {
    // The deployment was deleted between the lookup and the insert.
    if (sqlState(error) === SQLSTATE.foreignKeyViolation) throw notFound('Deployment', deploymentId);
    throw error;
  }
}
