import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import type { Queryable } from '../../core/sql/queryable.ts';

/** A project and a deployment inserted directly, for tests below the API. Returns the deployment id. */
export async function seedDeployment(
  db: { pool: Queryable },
  options: {
    rootPath?: string;
    servicePath?: string;
    executor?: 'auto' | 'local' | 'docker';
    healthCheckPath?: string | null;
    env?: { name: string; value: string }[];
  } = {},
): Promise<string> {
  const projectId = randomUUID();
  const deploymentId = randomUUID();
  await db.pool.query(
    `insert into project (id, name, root_path, created_at, updated_at) values ($1, 'seed', $2, now(), now())`,
    [projectId, options.rootPath ?? tmpdir()],
  );
  await db.pool.query(
    `insert into deployment (id, project_id, service_name, service_path, executor, health_check_path, env, created_at, updated_at)
     values ($1, $2, 'svc', $3, $4, $5, $6, now(), now())`,
    [
      deploymentId,
      projectId,
      options.servicePath ?? 'svc',
      options.executor ?? 'local',
      options.healthCheckPath ?? null,
      JSON.stringify(options.env ?? []),
    ],
  );
  return deploymentId;
}
