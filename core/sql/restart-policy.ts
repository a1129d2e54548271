import type { RestartPolicy } from '../stages.ts';
import type { Queryable } from './queryable.ts';

export interface RestartSettings {
  policy: RestartPolicy;
  maxRestarts: number;
}

/**
 * A deployment's restart settings as they are now (an update applies to the
 * next ending), read inside the transaction that ends a running workload.
 * `for key share` orders this against deleteDeployment, which locks the row
 * `for update` before it looks for live workloads: either the delete sees
 * the restart this transaction creates, or this waits and finds no row.
 */
export async function readRestartSettings(
  db: Queryable,
  deploymentId: string,
): Promise<RestartSettings | null> {
  const result = await db.query(
    `select "restart_policy", "max_restarts" from "deployment" where "id" = $1 for key share`,
    [deploymentId],
  );
  const row = result.rows[0];
  return row
    ? { policy: row.restart_policy as RestartPolicy, maxRestarts: row.max_restarts as number }
    : null;
}
