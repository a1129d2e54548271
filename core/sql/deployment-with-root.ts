import type { Queryable } from './queryable.ts';

/** What createWorkload needs of a deployment: its default service path and its project's root. */
export interface DeploymentWithRoot {
  servicePath: string;
  rootPath: string;
}

/**
 * The deployment `id` with its project's root path, in one statement (one
 * round trip where two entity lookups would take two). Null when there is
 * no such deployment; a deployment always has its project (the foreign key
 * cascades), so the inner join drops nothing else.
 */
export async function deploymentWithRoot(db: Queryable, id: string): Promise<DeploymentWithRoot | null> {
  const result = await db.query(
    `select d."service_path", p."root_path"
       from "deployment" d
       join "project" p on p."id" = d."project_id"
      where d."id" = $1`,
    [id],
  );
  const row = result.rows[0];
  return row ? { servicePath: row.service_path as string, rootPath: row.root_path as string } : null;
}
