import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.ts';
import { countQueries, type QueryCounter } from '../support/query-counter.ts';

/**
 * Lists resolve their rows' related data in batches (src/services/loaders.ts):
 * the number of statements a list query sends does not grow with the
 * number of rows. Before batching, `deployments { status currentWorkload }`
 * ran two statements per deployment.
 */
let app: TestApp;
let counter: QueryCounter;

beforeAll(async () => {
  app = await startTestApp({ AGENTFORGE_RUNNER: 'off' });
  counter = countQueries(app.db);
});
afterAll(async () => {
  counter?.detach();
  await app?.close();
});

/** A project with `deployments` deployments; each but the last has an older failed and a newer running workload. */
async function seedProject(deployments: number): Promise<{ projectId: string; deploymentIds: string[] }> {
  const projectId = randomUUID();
  await app.db.pool.query(
    `insert into project (id, name, root_path, created_at, updated_at) values ($1, 'p', $2, now(), now())`,
    [projectId, tmpdir()],
  );
  const deploymentIds: string[] = [];
  for (let i = 0; i < deployments; i++) {
    const id = randomUUID();
    deploymentIds.push(id);
    await app.db.pool.query(
      `insert into deployment (id, project_id, service_name, service_path, executor, env, created_at, updated_at)
       values ($1, $2, $3, 'svc', 'local', '[]', now() + make_interval(secs => $4), now())`,
      [id, projectId, `svc-${i}`, i],
    );
    if (i === deployments - 1) continue;
    await app.db.pool.query(
      `insert into workload (id, deployment_id, service_path, stage, error, failed_stage, failure_reason, created_at, updated_at, finished_at)
       values ($1, $2, 'svc', 'failed', 'old', 'build', 'build', now() - interval '1 minute', now(), now()),
              ($3, $2, 'svc', 'running', null, null, null, now(), now(), null)`,
      [randomUUID(), id, randomUUID()],
    );
  }
  return { projectId, deploymentIds };
}

async function counted(query: string, variables: Record<string, unknown> = {}) {
  counter.reset();
  const { status, body } = await app.post({ query, variables });
  expect(status).toBe(200);
  expect(body.errors).toBeUndefined();
  return { data: body.data, statements: [...counter.statements] };
}

const DEPLOYMENTS = `query ($projectId: ID) {
  deployments(projectId: $projectId) {
    id status
    currentWorkload { id stage deployment { id project { id } } }
    project { id name }
  }
}`;

const PROJECTS = `{
  projects { id deployments { id status currentWorkload { id stage } project { id } } }
}`;

describe('a list of deployments costs a constant number of queries', () => {
  it('deployments { status currentWorkload project }: as many statements for 12 rows as for 2', async () => {
    const small = await seedProject(2);
    const large = await seedProject(12);

    const two = await counted(DEPLOYMENTS, { projectId: small.projectId });
    expect(two.data.deployments).toMatchObject([
      { id: small.deploymentIds[0], status: 'running', currentWorkload: { stage: 'running' } },
      { id: small.deploymentIds[1], status: 'idle', currentWorkload: null, project: { id: small.projectId } },
    ]);
    const twelve = await counted(DEPLOYMENTS, { projectId: large.projectId });
    expect(twelve.data.deployments).toHaveLength(12);
    for (const [i, d] of twelve.data.deployments.entries()) {
      expect(d.id).toBe(large.deploymentIds[i]);
      expect(d.project.id).toBe(large.projectId);
      if (i === 11) {
        expect(d).toMatchObject({ status: 'idle', currentWorkload: null });
      } else {
        // The newer of its two workloads.
        expect(d).toMatchObject({ status: 'running', currentWorkload: { stage: 'running' } });
        expect(d.currentWorkload.deployment).toEqual({ id: d.id, project: { id: large.projectId } });
      }
    }
    // One statement per level of the query: the list, the latest workloads, the projects, and
    // below currentWorkload its deployments and their projects.
    expect(twelve.statements.length, twelve.statements.join('\n')).toBe(two.statements.length);
    expect(twelve.statements.length).toBe(5);
  });

  it('projects { deployments { status currentWorkload } }: the same count for 1 project as for 8', async () => {
    const before = await counted(PROJECTS);
    const projectsBefore = before.data.projects.length;
    for (let i = 0; i < 7; i++) await seedProject(3);
    const after = await counted(PROJECTS);
    expect(after.data.projects).toHaveLength(projectsBefore + 7);
    const last = after.data.projects.at(-1);
    expect(last.deployments.map((d: { status: string }) => d.status)).toEqual(['running', 'running', 'idle']);
    expect(after.statements.length, after.statements.join('\n')).toBe(before.statements.length);
    // The projects, their deployments, the latest workloads, the deployments' projects.
    expect(after.statements.length).toBe(4);
  });
});
