import { mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateDeploymentDocument,
  CreateProjectDocument,
  CreateWorkloadDocument,
  DeleteDeploymentDocument,
  DeploymentDocument,
  StopWorkloadDocument,
  UpdateDeploymentDocument,
} from '../../sdk/index.ts';
import { startTestApp, type TestApp } from '../support/app.ts';

/**
 * updateDeployment and deleteDeployment (docs/running-stage.md, docs/contract.md), and the
 * running-stage settings' bad input on create and update: a typed error
 * naming the field, and nothing written.
 */
let app: TestApp;
let projectId: string;
const UNKNOWN = '00000000-0000-4000-8000-000000000000';

beforeAll(async () => {
  app = await startTestApp({ AGENTFORGE_RUNNER: 'off' });
  const root = await mkdtemp(join(tmpdir(), 'agentforge-admin-'));
  await mkdir(join(root, 'svc'));
  projectId = (await app.gql(CreateProjectDocument, { input: { name: 'p', rootPath: root } })).createProject
    .id;
});
afterAll(() => app?.close());

async function create(extra: Record<string, unknown> = {}) {
  const { createDeployment } = await app.gql(CreateDeploymentDocument, {
    input: { projectId, serviceName: 'svc', servicePath: 'svc', executor: 'local', ...extra },
  });
  return createDeployment;
}

/** The deployment rows as stored, to show that a refused request wrote nothing. */
async function stored() {
  const { rows } = await app.db.pool.query(`select * from deployment order by id`);
  return rows;
}

async function errorOf(query: string, variables: Record<string, unknown>) {
  const { status, body } = await app.post({ query, variables });
  expect(status).toBeLessThan(500);
  expect(body.errors, JSON.stringify(body)).toHaveLength(1);
  return body.errors[0] as { message: string; extensions: { code: string; field?: string } };
}

const CREATE = `mutation($input: CreateDeploymentInput!) { createDeployment(input: $input) { id } }`;
const UPDATE = `mutation($id: ID!, $input: UpdateDeploymentInput!) { updateDeployment(id: $id, input: $input) { id } }`;
const DELETE = `mutation($id: ID!) { deleteDeployment(id: $id) }`;

describe('running-stage settings', () => {
  it('have their defaults, and are stored as given', async () => {
    expect(await create()).toMatchObject({
      healthCheckIntervalMs: 10_000,
      healthCheckTimeoutMs: 2_000,
      healthCheckFailureThreshold: 3,
      restartPolicy: 'never',
      maxRestarts: 5,
    });
    const given = {
      healthCheckIntervalMs: 0,
      healthCheckTimeoutMs: 500,
      healthCheckFailureThreshold: 1,
      restartPolicy: 'always',
      maxRestarts: 100,
    };
    expect(await create(given)).toMatchObject(given);
  });

  const bad: [string, Record<string, unknown>, string][] = [
    ['an interval under 100 ms', { healthCheckIntervalMs: 99 }, 'healthCheckIntervalMs'],
    ['an interval over 1 h', { healthCheckIntervalMs: 3_600_001 }, 'healthCheckIntervalMs'],
    ['a negative interval', { healthCheckIntervalMs: -1 }, 'healthCheckIntervalMs'],
    [
      'a timeout equal to the interval',
      { healthCheckIntervalMs: 1000, healthCheckTimeoutMs: 1000 },
      'healthCheckTimeoutMs',
    ],
    [
      'a timeout over the interval',
      { healthCheckIntervalMs: 500, healthCheckTimeoutMs: 2000 },
      'healthCheckTimeoutMs',
    ],
    ['an interval below the default timeout', { healthCheckIntervalMs: 1000 }, 'healthCheckIntervalMs'],
    ['a zero timeout', { healthCheckTimeoutMs: 0 }, 'healthCheckTimeoutMs'],
    ['a threshold under 1', { healthCheckFailureThreshold: 0 }, 'healthCheckFailureThreshold'],
    ['maxRestarts under 0', { maxRestarts: -1 }, 'maxRestarts'],
    ['maxRestarts over 100', { maxRestarts: 101 }, 'maxRestarts'],
  ];

  it.each(bad)('refuses %s on create, naming the field, writing nothing', async (_what, settings, field) => {
    const before = await stored();
    const error = await errorOf(CREATE, {
      input: { projectId, serviceName: 'svc', servicePath: 'svc', ...settings },
    });
    expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    expect(error.message).toContain(field);
    expect(await stored()).toEqual(before);
  });

  it.each(bad)('refuses %s on update, naming the field, writing nothing', async (_what, settings, field) => {
    const { id } = await create();
    const before = await stored();
    const error = await errorOf(UPDATE, { id, input: settings });
    expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    expect(error.message).toContain(field);
    expect(await stored()).toEqual(before);
  });
});

describe('updateDeployment', () => {
  it('changes the fields given and keeps the others', async () => {
    const d = await create({ healthCheckPath: '/health', env: [{ name: 'A', value: '1' }], maxRestarts: 7 });
    const { updateDeployment } = await app.gql(UpdateDeploymentDocument, {
      id: d.id,
      input: { restartPolicy: 'on_failure', healthCheckIntervalMs: 1000, healthCheckTimeoutMs: 300 },
    });
    expect(updateDeployment).toMatchObject({
      id: d.id,
      projectId,
      serviceName: 'svc',
      servicePath: 'svc',
      executor: 'local',
      healthCheckPath: '/health',
      env: [{ name: 'A', value: '1' }],
      restartPolicy: 'on_failure',
      healthCheckIntervalMs: 1000,
      healthCheckTimeoutMs: 300,
      healthCheckFailureThreshold: 3,
      maxRestarts: 7,
    });
    const { updateDeployment: cleared } = await app.gql(UpdateDeploymentDocument, {
      id: d.id,
      input: { healthCheckPath: null, env: [], serviceName: 'renamed', executor: 'docker' },
    });
    expect(cleared).toMatchObject({
      healthCheckPath: null,
      env: [],
      serviceName: 'renamed',
      executor: 'docker',
      restartPolicy: 'on_failure',
    });
    const { deployment } = await app.gql(DeploymentDocument, { id: d.id, first: 1 });
    expect(deployment).toMatchObject(cleared);
  });

  it('refuses null for a setting every deployment has, an unknown id, a malformed id, a path outside the root', async () => {
    const { id } = await create();
    const before = await stored();
    expect((await errorOf(UPDATE, { id, input: { maxRestarts: null } })).extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'maxRestarts',
    });
    expect((await errorOf(UPDATE, { id, input: { servicePath: '../elsewhere' } })).extensions.code).toBe(
      'BAD_USER_INPUT',
    );
    expect((await errorOf(UPDATE, { id: UNKNOWN, input: { maxRestarts: 1 } })).extensions.code).toBe(
      'NOT_FOUND',
    );
    expect((await errorOf(UPDATE, { id: 'nope', input: {} })).extensions.code).toBe('BAD_USER_INPUT');
    expect(await stored()).toEqual(before);
  });
});

describe('deleteDeployment', () => {
  it('is refused while a workload is live, then deletes the deployment with its workloads', async () => {
    const { id } = await create();
    const { createWorkload } = await app.gql(CreateWorkloadDocument, { input: { deploymentId: id } });
    const before = await stored();
    const refused = await errorOf(DELETE, { id });
    expect(refused.extensions.code).toBe('INVALID_TRANSITION');
    expect(refused.message).toContain(createWorkload.id);
    expect(await stored()).toEqual(before);

    await app.gql(StopWorkloadDocument, { id: createWorkload.id });
    expect(await app.gql(DeleteDeploymentDocument, { id })).toEqual({ deleteDeployment: true });
    expect((await app.gql(DeploymentDocument, { id, first: 1 })).deployment).toBeNull();
    const { rows } = await app.db.pool.query(
      `select count(*)::int as n from workload where deployment_id = $1`,
      [id],
    );
    expect(rows[0].n).toBe(0);

    // Gone: updating or deleting it again is NOT_FOUND, as is creating a workload of it.
    expect((await errorOf(UPDATE, { id, input: { maxRestarts: 1 } })).extensions.code).toBe('NOT_FOUND');
    expect((await errorOf(DELETE, { id })).extensions.code).toBe('NOT_FOUND');
    expect((await errorOf(DELETE, { id: UNKNOWN })).extensions.code).toBe('NOT_FOUND');
  });
});
