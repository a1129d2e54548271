import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateProjectDocument } from '../../sdk/index.ts';
import { startTestApp, type TestApp } from '../support/app.ts';

const TOKEN = 'rest-test-token-0123456789abcdef0123';
const UNKNOWN = '00000000-0000-4000-8000-000000000000';
let app: TestApp;
let root: string;
let projectId: string;
let base: string;

beforeAll(async () => {
  app = await startTestApp({ AGENTFORGE_API_TOKEN: TOKEN, AGENTFORGE_RUNNER: 'off' });
  root = await mkdtemp(join(tmpdir(), 'agentforge-rest-'));
  await mkdir(join(root, 'svc'));
  const { createProject } = await app.gql(CreateProjectDocument, { input: { name: 'rest', rootPath: root } });
  projectId = createProject.id;
  base = new URL('/api', app.url).toString();
});
afterAll(async () => {
  await app?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

interface Call {
  method?: string;
  body?: unknown;
  contentType?: string | null;
  token?: string | null;
}

async function call(
  path: string,
  { method = 'POST', body, contentType = 'application/json', token = TOKEN }: Call = {},
) {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (contentType && body !== undefined) headers['content-type'] = contentType;
  const response = await fetch(`${base}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: response.status, body: json, headers: response.headers };
}

const count = async (table: string) =>
  Number((await app.db.pool.query(`select count(*) from "${table}"`)).rows[0].count);

function expectError(result: { status: number; body: any }, status: number, code: string) {
  expect(result.status, JSON.stringify(result.body)).toBe(status);
  expect(result.body).toEqual({ error: { code, message: expect.any(String) } });
}

async function createDeployment(): Promise<string> {
  const { status, body } = await call('/deployments', {
    body: { projectId, serviceName: 'api', servicePath: 'svc' },
  });
  expect(status).toBe(201);
  return body.id;
}

describe('POST /api/deployments', () => {
  it('creates a deployment: 201 with the deployment as the JSON object', async () => {
    const { status, body } = await call('/deployments', {
      body: { projectId, serviceName: 'api', servicePath: 'svc' },
    });
    expect(status).toBe(201);
    expect(body).toMatchObject({
      projectId,
      serviceName: 'api',
      servicePath: 'svc',
      status: 'idle',
      executor: 'auto',
    });
    expect(body.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('refuses bad input with 400 BAD_USER_INPUT and writes nothing', async () => {
    const before = await count('deployment');
    const valid = { projectId, serviceName: 'api', servicePath: 'svc' };
    const bad: [string, Call][] = [
      ['not JSON', { body: '{"projectId": ', contentType: 'application/json' }],
      ['wrong content type', { body: JSON.stringify(valid), contentType: 'text/plain' }],
      ['form content type', { body: 'projectId=x', contentType: 'application/x-www-form-urlencoded' }],
      ['no content type', { body: JSON.stringify(valid), contentType: null }],
      ['an array', { body: [valid] }],
      ['unknown field', { body: { ...valid, owner: 'me' } }],
      ['missing field', { body: { projectId, serviceName: 'api' } }],
      ['wrong type', { body: { ...valid, serviceName: 42 } }],
      ['malformed id', { body: { ...valid, projectId: 'not-a-uuid' } }],
      ['path leaving the root', { body: { ...valid, servicePath: '../etc' } }],
      ['empty name', { body: { ...valid, serviceName: ' ' } }],
    ];
    for (const [what, request] of bad) {
      const result = await call('/deployments', request);
      expect(result.status, what).toBe(400);
      expectError(result, 400, 'BAD_USER_INPUT');
    }
    expect((await call('/deployments', { body: { ...valid, owner: 'me' } })).body.error.message).toMatch(
      /Unknown field "owner": expected only .*projectId/,
    );
    expect(await count('deployment')).toBe(before);
  });

  it('401 without the token, 404 for an unknown project', async () => {
    const valid = { projectId, serviceName: 'api', servicePath: 'svc' };
    const unauthenticated = await call('/deployments', { body: valid, token: null });
    expectError(unauthenticated, 401, 'UNAUTHENTICATED');
    expectError(await call('/deployments', { body: valid, token: 'wrong' }), 401, 'UNAUTHENTICATED');
    expectError(await call('/deployments', { body: { ...valid, projectId: UNKNOWN } }), 404, 'NOT_FOUND');
  });
});

describe('POST /api/workloads', () => {
  it('creates a pending workload: 201 with the workload', async () => {
    const deploymentId = await createDeployment();
    const { status, body } = await call('/workloads', { body: { deploymentId } });
    expect(status).toBe(201);
    expect(body).toMatchObject({ deploymentId, stage: 'pending', servicePath: 'svc', stopRequested: false });
  });

  it('400 for bad input, 401 without the token, 404 for an unknown deployment; nothing written', async () => {
    const deploymentId = await createDeployment();
    const before = await count('workload');
    expectError(await call('/workloads', { body: { deploymentId: 'x' } }), 400, 'BAD_USER_INPUT');
    expectError(await call('/workloads', { body: { deploymentId, extra: 1 } }), 400, 'BAD_USER_INPUT');
    expectError(await call('/workloads', { body: 'null' }), 400, 'BAD_USER_INPUT');
    expectError(
      await call('/workloads', { body: { deploymentId, servicePath: '/abs' } }),
      400,
      'BAD_USER_INPUT',
    );
    expectError(await call('/workloads', { body: { deploymentId }, token: null }), 401, 'UNAUTHENTICATED');
    expectError(await call('/workloads', { body: { deploymentId: UNKNOWN } }), 404, 'NOT_FOUND');
    expect(await count('workload')).toBe(before);
  });
});

describe('GET /api/workloads/:id', () => {
  it('answers the workload with its logs array', async () => {
    const deploymentId = await createDeployment();
    const created = await call('/workloads', { body: { deploymentId } });
    const { status, body } = await call(`/workloads/${created.body.id}`, { method: 'GET' });
    expect(status).toBe(200);
    expect(body).toMatchObject({ id: created.body.id, deploymentId, stage: 'pending', logs: [] });
  });

  it('400 for a malformed id, 401 without the token, 404 for an unknown id', async () => {
    expectError(await call('/workloads/nope', { method: 'GET' }), 400, 'BAD_USER_INPUT');
    expectError(await call(`/workloads/${UNKNOWN}`, { method: 'GET', token: null }), 401, 'UNAUTHENTICATED');
    expectError(await call(`/workloads/${UNKNOWN}`, { method: 'GET' }), 404, 'NOT_FOUND');
  });
});

describe('POST /api/workloads/:id/stop', () => {
  it('cancels a pending workload (200), then refuses with 409 INVALID_TRANSITION', async () => {
    const deploymentId = await createDeployment();
    const { body: created } = await call('/workloads', { body: { deploymentId } });
    const { status, body } = await call(`/workloads/${created.id}/stop`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ id: created.id, stage: 'failed', failedStage: 'pending' });
    expect(body.error).toBe('Cancelled by user during pending');
    expectError(await call(`/workloads/${created.id}/stop`), 409, 'INVALID_TRANSITION');
    const logged = await call(`/workloads/${created.id}`, { method: 'GET' });
    expect(logged.body.logs).toMatchObject([
      { seq: 1, level: 'error', message: 'Cancelled by user during pending' },
    ]);
  });

  it('400 for a malformed id or a body, 401 without the token, 404 for an unknown id; nothing changed', async () => {
    const deploymentId = await createDeployment();
    const { body: created } = await call('/workloads', { body: { deploymentId } });
    expectError(await call('/workloads/nope/stop'), 400, 'BAD_USER_INPUT');
    expectError(
      await call(`/workloads/${created.id}/stop`, { body: { force: true } }),
      400,
      'BAD_USER_INPUT',
    );
    expectError(
      await call(`/workloads/${created.id}/stop`, { body: 'x', contentType: 'text/plain' }),
      400,
      'BAD_USER_INPUT',
    );
    expectError(await call(`/workloads/${created.id}/stop`, { token: null }), 401, 'UNAUTHENTICATED');
    expectError(await call(`/workloads/${UNKNOWN}/stop`), 404, 'NOT_FOUND');
    const still = await call(`/workloads/${created.id}`, { method: 'GET' });
    expect(still.body).toMatchObject({ stage: 'pending', stopRequested: false });
  });
});

describe('the REST surface', () => {
  it('unknown paths are NOT_FOUND and wrong methods 405, as JSON', async () => {
    expectError(await call('/projects', { method: 'GET' }), 404, 'NOT_FOUND');
    const wrongMethod = await call('/workloads', { method: 'GET' });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.body.error.code).toBe('BAD_USER_INPUT');
  });

  it('serves an OpenAPI 3 document that validates and describes every path', async () => {
    expectError(await call('/openapi.json', { method: 'GET', token: null }), 401, 'UNAUTHENTICATED');
    const { status, body } = await call('/openapi.json', { method: 'GET' });
    expect(status).toBe(200);
    const result = await new Validator().validate(body);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(body.openapi).toMatch(/^3\./);
    expect(Object.keys(body.paths).sort()).toEqual([
      '/api/deployments',
      '/api/workloads',
      '/api/workloads/{id}',
      '/api/workloads/{id}/stop',
    ]);
    expect(body.paths['/api/workloads'].post.responses['201']).toBeTruthy();
    expect(body.components.schemas.CreateWorkloadInput).toMatchObject({
      required: ['deploymentId'],
      additionalProperties: false,
    });
    expect(body.components.schemas.WorkloadWithLogs.properties.logs.type).toBe('array');
  });
});
