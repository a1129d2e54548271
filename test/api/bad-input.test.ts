import { mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateDeploymentDocument,
  type CreateDeploymentInput,
  CreateProjectDocument,
  CreateWorkloadDocument,
} from '../../sdk/index.ts';
import { startTestApp, type TestApp } from '../support/app.ts';

/**
 * Every kind of bad input answers a typed error (extensions.code), says what
 * was expected, and writes nothing.
 */
let app: TestApp;
let root: string;
let outside: string;
let projectId: string;
let deploymentId: string;
const UNKNOWN = '00000000-0000-4000-8000-000000000000';
/** With the GraphQL-over-HTTP media type, request errors come with a 4xx status. */
const STRICT = { accept: 'application/graphql-response+json' };

async function counts() {
  const { rows } = await app.db.pool.query(
    `select (select count(*) from project) as projects, (select count(*) from deployment) as deployments,
            (select count(*) from workload) as workloads`,
  );
  return rows[0];
}

async function errorOf(query: string, variables: Record<string, unknown> = {}) {
  const { status, body } = await app.post({ query, variables });
  expect(status).toBeLessThan(500);
  expect(body.errors, JSON.stringify(body)).toHaveLength(1);
  const [error] = body.errors;
  expect(JSON.stringify(error)).not.toMatch(/\bat .*\.(ts|js):\d+/); // no stack traces
  return error as { message: string; extensions: { code: string } };
}

beforeAll(async () => {
  app = await startTestApp({ AGENTFORGE_RUNNER: 'off' });
  root = await mkdtemp(join(tmpdir(), 'agentforge-root-'));
  outside = await mkdtemp(join(tmpdir(), 'agentforge-outside-'));
  await mkdir(join(root, 'services', 'api'), { recursive: true });
  await writeFile(join(root, 'README'), 'a file');
  await symlink(outside, join(root, 'escape'));
  await symlink(join(root, 'services'), join(root, 'inner-link'));
  projectId = (await app.gql(CreateProjectDocument, { input: { name: 'p', rootPath: root } })).createProject
    .id;
  deploymentId = (
    await app.gql(CreateDeploymentDocument, {
      input: { projectId, serviceName: 'api', servicePath: 'services/api' },
    })
  ).createDeployment.id;
});
afterAll(() => app?.close());

describe('ids', () => {
  const lookups = [
    'query($id: ID!) { project(id: $id) { id } }',
    'query($id: ID!) { deployment(id: $id) { id } }',
    'query($id: ID!) { workload(id: $id) { id } }',
  ];

  it.each(lookups)('lookup %s answers null for a well-formed unknown id', async (query) => {
    const { body } = await app.post({ query, variables: { id: UNKNOWN } });
    expect(body.errors).toBeUndefined();
    expect(Object.values(body.data)).toEqual([null]);
  });

  const malformed = [
    ...lookups.map((q) => [q, { id: 'not-a-uuid' }] as const),
    ['query($id: ID) { deployments(projectId: $id) { id } }', { id: '123' }],
    ['query($id: ID) { workloads(deploymentId: $id) { edges { cursor } } }', { id: "1' or 1=1 --" }],
    ['mutation($id: ID!) { stopWorkload(id: $id) { id } }', { id: 'x' }],
    ['mutation($id: ID!) { createWorkload(input: { deploymentId: $id }) { id } }', { id: '../etc' }],
    [
      'mutation($id: ID!) { createDeployment(input: { projectId: $id, serviceName: "a", servicePath: "a" }) { id } }',
      { id: '' },
    ],
  ] as const;

  it.each(malformed)('%s with a malformed id is BAD_USER_INPUT', async (query, variables) => {
    const before = await counts();
    const error = await errorOf(query, variables);
    expect(error.extensions.code).toBe('BAD_USER_INPUT');
    expect(error.message).toMatch(/not a valid id: expected a UUID/);
    expect(await counts()).toEqual(before);
  });

  it.each([
    ['mutation($id: ID!) { stopWorkload(id: $id) { id } }', /Workload .* does not exist/],
    [
      'mutation($id: ID!) { createWorkload(input: { deploymentId: $id }) { id } }',
      /Deployment .* does not exist/,
    ],
    [
      'mutation($id: ID!) { createDeployment(input: { projectId: $id, serviceName: "a", servicePath: "a" }) { id } }',
      /Project .* does not exist/,
    ],
  ])('%s with an unknown id is NOT_FOUND', async (query, message) => {
    const before = await counts();
    const error = await errorOf(query, { id: UNKNOWN });
    expect(error.extensions.code).toBe('NOT_FOUND');
    expect(error.message).toMatch(message);
    expect(await counts()).toEqual(before);
  });

  it('a subscription on an unknown workload is NOT_FOUND over graphql-ws', async () => {
    const error = await app.sdk
      .subscribe(
        (await import('../../sdk/index.ts')).WorkloadUpdatedDocument,
        { workloadId: UNKNOWN },
        () => {},
      )
      .catch((e) => e);
    expect(error.code).toBe('NOT_FOUND');
  });
});

describe('projects', () => {
  it.each([
    ['an empty name', { name: '', rootPath: '/tmp' }, /name must not be empty/],
    ['a blank name', { name: '   ', rootPath: '/tmp' }, /name must not be empty/],
    [
      'a 10 KB name',
      { name: 'x'.repeat(10_000), rootPath: '/tmp' },
      /name is 10000 characters long: expected at most 200/,
    ],
    ['a relative rootPath', { name: 'p', rootPath: 'relative/dir' }, /rootPath "relative\/dir" is relative/],
    [
      'a missing rootPath',
      { name: 'p', rootPath: '/definitely/not/here' },
      /is not allowed: expected an existing directory/,
    ],
    ['an empty rootPath', { name: 'p', rootPath: '' }, /rootPath must be an absolute directory path/],
  ])('createProject with %s is refused', async (_label, input, message) => {
    const before = await counts();
    const error = await errorOf(
      'mutation($input: CreateProjectInput!) { createProject(input: $input) { id } }',
      {
        input,
      },
    );
    expect(error.extensions.code).toBe('BAD_USER_INPUT');
    expect(error.message).toMatch(message);
    expect(await counts()).toEqual(before);
  });

  it('refuses a rootPath that is a file', async () => {
    const error = await errorOf(
      'mutation($input: CreateProjectInput!) { createProject(input: $input) { id } }',
      {
        input: { name: 'p', rootPath: join(root, 'README') },
      },
    );
    expect(error).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
    expect(error.message).toMatch(/is not allowed: expected an existing directory/);
  });

  const refusedRoots: [string, string][] = [
    ['/', '/'],
    ['/etc', '/etc'],
    ['a missing directory inside /etc', '/etc/definitely-not-here'],
    ['an existing directory inside /usr', '/usr/lib'],
    ['/root', '/root'],
    ['/proc/1', '/proc/1'],
    ['/lib64', '/lib64'],
    ['/var/tmp', '/var/tmp'],
  ];
  it.each(refusedRoots)(
    'refuses %s as a rootPath, with one message whether it exists or not',
    async (_l, rootPath) => {
      const before = await counts();
      const error = await errorOf(
        'mutation($input: CreateProjectInput!) { createProject(input: $input) { id } }',
        { input: { name: 'p', rootPath } },
      );
      expect(error.extensions.code).toBe('BAD_USER_INPUT');
      expect(error.message).toBe(
        `rootPath "${rootPath}" is not allowed: expected an existing directory that is not / or a system directory (/bin /boot /dev /etc /lib* /proc /root /run /sbin /sys /usr /var)`,
      );
      expect(await counts()).toEqual(before);
    },
  );

  it('judges a rootPath after resolving symlinks: a link to /etc is refused like /etc', async () => {
    const link = join(root, 'to-etc');
    await symlink('/etc', link);
    const error = await errorOf(
      'mutation($input: CreateProjectInput!) { createProject(input: $input) { id } }',
      { input: { name: 'p', rootPath: link } },
    );
    expect(error.extensions.code).toBe('BAD_USER_INPUT');
    expect(error.message).toMatch(/is not allowed/);
  });
});

describe('AGENTFORGE_PROJECTS_ROOT', () => {
  it('accepts roots inside the listed directories only, judged after resolving symlinks', async () => {
    const allowed = await mkdtemp(join(tmpdir(), 'agentforge-allowed-'));
    const other = await mkdtemp(join(tmpdir(), 'agentforge-other-'));
    await mkdir(join(allowed, 'shop'));
    await symlink(other, join(allowed, 'sneaky'));
    const limited = await startTestApp({
      AGENTFORGE_RUNNER: 'off',
      AGENTFORGE_PROJECTS_ROOT: `/nowhere:${allowed}`,
    });
    try {
      const ok = await limited.gql(CreateProjectDocument, {
        input: { name: 'shop', rootPath: join(allowed, 'shop') },
      });
      expect(ok.createProject.rootPath).toBe(join(allowed, 'shop'));
      for (const rootPath of [
        other,
        join(allowed, 'sneaky'),
        join(allowed, 'missing'),
        join(other, 'missing'),
      ]) {
        const { body } = await limited.post({
          query: 'mutation($input: CreateProjectInput!) { createProject(input: $input) { id } }',
          variables: { input: { name: 'p', rootPath } },
        });
        expect(body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
        expect(body.errors[0].message).toBe(
          `rootPath "${rootPath}" is not allowed: expected an existing directory that is not / or a system directory (/bin /boot /dev /etc /lib* /proc /root /run /sbin /sys /usr /var) and is inside AGENTFORGE_PROJECTS_ROOT (/nowhere:${allowed})`,
        );
      }
    } finally {
      await limited.close();
    }
  });
});

describe('deployments', () => {
  const base = (): CreateDeploymentInput => ({ projectId, serviceName: 'api', servicePath: 'services/api' });
  const cases: [string, Partial<CreateDeploymentInput>, RegExp][] = [
    [
      'absolute servicePath',
      { servicePath: '/etc' },
      /is absolute: expected a path relative to the project root/,
    ],
    ['servicePath leaving the root', { servicePath: 'services/../../etc' }, /leaves the project root/],
    ['servicePath ..', { servicePath: '..' }, /leaves the project root/],
    [
      'servicePath through a symlink out of the root',
      { servicePath: 'escape/app' },
      /resolves outside the project root/,
    ],
    ['a symlink out of the root', { servicePath: 'escape' }, /resolves outside the project root/],
    ['empty servicePath', { servicePath: '' }, /servicePath must be a relative path/],
    ['empty serviceName', { serviceName: '' }, /serviceName must not be empty/],
    ['10 KB serviceName', { serviceName: 'n'.repeat(10_240) }, /at most 200/],
    ['env name with a dash', { env: [{ name: 'BAD-NAME', value: 'x' }] }, /env name "BAD-NAME" is invalid/],
    ['env name starting with a digit', { env: [{ name: '1X', value: 'x' }] }, /env name "1X" is invalid/],
    ['empty env name', { env: [{ name: '', value: 'x' }] }, /env name "" is invalid/],
    [
      'duplicate env names',
      {
        env: [
          { name: 'A', value: '1' },
          { name: 'A', value: '2' },
        ],
      },
      /env name "A" appears more than once/,
    ],
    ...[
      'PORT',
      'HOST',
      'PATH',
      'HOME',
      'NODE_OPTIONS',
      'LD_PRELOAD',
      'LD_LIBRARY_PATH',
      'DYLD_INSERT_LIBRARIES',
    ].map((name): [string, Partial<CreateDeploymentInput>, RegExp] => [
      `the env name ${name}`,
      { env: [{ name, value: 'x' }] },
      new RegExp(
        `env name "${name}" is not allowed .*refused are PORT, HOST, PATH, HOME, NODE_OPTIONS, LD_\\* and DYLD_\\*`,
      ),
    ]),
    [
      'an env over 128 KiB in all',
      { env: [0, 1, 2].map((i) => ({ name: `BIG_${i}`, value: 'x'.repeat(50_000) })) },
      /env is 1500\d\d bytes .*expected at most 131072 bytes \(128 KiB\) in all/,
    ],
    [
      'memoryLimitMb under 32',
      { memoryLimitMb: 31 },
      /memoryLimitMb is 31: expected a whole number of MB from 32 to/,
    ],
    ['pidsLimit under 8', { pidsLimit: 7 }, /pidsLimit is 7: expected a whole number from 8 to/],
    ['cpuLimit of 0', { cpuLimit: 0 }, /cpuLimit is 0: expected a number of cores above 0 and at most \d+/],
    ['a negative cpuLimit', { cpuLimit: -1 }, /cpuLimit is -1: expected a number of cores above 0/],
    [
      'cpuLimit above the host cores',
      { cpuLimit: 4096 },
      /cpuLimit is 4096: .*at most \d+ \(this host's cores\)/,
    ],
    [
      'healthCheckPath without /',
      { healthCheckPath: 'health' },
      /must be a path starting with a single "\/"/,
    ],
    [
      'healthCheckPath as a URL',
      { healthCheckPath: 'http://evil/' },
      /must be a path starting with a single "\/"/,
    ],
    [
      'healthCheckPath with //',
      { healthCheckPath: '//evil.example/' },
      /must be a path starting with a single "\/"/,
    ],
  ];

  it.each(cases)('refuses %s', async (_name, patch, message) => {
    const before = await counts();
    const error = await errorOf(
      'mutation($input: CreateDeploymentInput!) { createDeployment(input: $input) { id } }',
      { input: { ...base(), ...patch } },
    );
    expect(error.extensions.code).toBe('BAD_USER_INPUT');
    expect(error.message).toMatch(message);
    expect(await counts()).toEqual(before);
  });

  it('fills in the default limits and keeps the ones given', async () => {
    // A project of its own: the depth test below walks every deployment of this file's project.
    const other = await app.gql(CreateProjectDocument, {
      input: { name: 'limits', rootPath: await mkdtemp(join(tmpdir(), 'agentforge-limits-')) },
    });
    const input = { projectId: other.createProject.id, serviceName: 'api', servicePath: 'api' };
    const defaults = await app.gql(CreateDeploymentDocument, { input });
    expect(defaults.createDeployment).toMatchObject({ memoryLimitMb: 512, cpuLimit: 1, pidsLimit: 256 });
    const given = await app.gql(CreateDeploymentDocument, {
      input: { ...input, memoryLimitMb: 32, cpuLimit: 0.25, pidsLimit: 8 },
    });
    expect(given.createDeployment).toMatchObject({ memoryLimitMb: 32, cpuLimit: 0.25, pidsLimit: 8 });
  });

  it('accepts a path that does not exist yet and a symlink that stays inside', async () => {
    const missing = await app.gql(CreateDeploymentDocument, {
      input: { ...base(), servicePath: 'services/later' },
    });
    expect(missing.createDeployment.servicePath).toBe('services/later');
    const inside = await app.gql(CreateDeploymentDocument, {
      input: { ...base(), servicePath: 'inner-link/api' },
    });
    expect(inside.createDeployment.servicePath).toBe('inner-link/api');
  });

  it('refuses an executor outside the enum with a validation error', async () => {
    const { status, body } = await app.post({
      query:
        'mutation { createDeployment(input: { projectId: "x", serviceName: "a", servicePath: "a", executor: podman }) { id } }',
    });
    expect(status).toBeLessThan(500);
    expect(body.errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });
});

describe('workloads', () => {
  it('refuses a servicePath override that leaves the root', async () => {
    const before = await counts();
    for (const servicePath of ['../x', '/abs', 'escape']) {
      const error = await app.sdk
        .request(CreateWorkloadDocument, { input: { deploymentId, servicePath } })
        .catch((e) => e);
      expect(error.code).toBe('BAD_USER_INPUT');
    }
    expect(await counts()).toEqual(before);
  });

  it('refuses out-of-range page sizes and foreign cursors', async () => {
    const tooMany = await errorOf('{ workloads(first: 100000) { edges { cursor } } }');
    expect(tooMany).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
    const cursor = await errorOf('{ workloads(after: "bm9wZQ") { edges { cursor } } }');
    expect(cursor.message).toMatch(/not a cursor this API returned/);
    const { createWorkload } = await app.gql(CreateWorkloadDocument, { input: { deploymentId } });
    const logs = await errorOf(`{ workload(id: "${createWorkload.id}") { logs(first: 10001) { seq } } }`);
    expect(logs.message).toMatch(/first must be from 0 to 10000/);
    const negative = await errorOf(`{ workload(id: "${createWorkload.id}") { logs(after: -1) { seq } } }`);
    expect(negative.extensions.code).toBe('BAD_USER_INPUT');
  });
});

describe('requests', () => {
  it('a syntax error keeps yoga’s GRAPHQL_PARSE_FAILED code', async () => {
    const { status, body } = await app.post({ query: '{ projects { id ' }, STRICT);
    expect(status).toBe(400);
    expect(body.errors[0].extensions.code).toBe('GRAPHQL_PARSE_FAILED');
  });

  it('an unknown field is GRAPHQL_VALIDATION_FAILED', async () => {
    const { status, body } = await app.post({ query: '{ projects { password } }' }, STRICT);
    expect(status).toBe(400);
    expect(body.errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  it('refuses a query nested deeper than 15 levels', async () => {
    let selection = 'id';
    for (let i = 0; i < 10; i++) selection = `project { deployments { ${selection} } }`;
    const { status, body } = await app.post(
      { query: `{ projects { deployments { ${selection} } } }` },
      STRICT,
    );
    expect(status).toBe(400);
    expect(body.errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(body.errors[0].message).toMatch(/depth/i);
  });

  it('accepts a query 15 levels deep', async () => {
    // projects(1) deployments(2) then project/deployments pairs; id at depth 15.
    let selection = 'id';
    for (let i = 0; i < 6; i++) selection = `project { deployments { ${selection} } }`;
    const { status, body } = await app.post({ query: `{ projects { deployments { ${selection} } } }` });
    expect(body.errors).toBeUndefined();
    expect(status).toBe(200);
  });

  it('refuses a body over 1 MB with 413, with or without Content-Length', async () => {
    const big = JSON.stringify({ query: `{ projects { id } }`, variables: { pad: 'x'.repeat(1_100_000) } });
    const { status } = await app.post(big);
    expect(status).toBe(413);

    const chunked = await fetch(app.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: new Blob([big]).stream(),
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(413);
  });

  it('answers invalid JSON with 400, not 500', async () => {
    const { status, body } = await app.post('{"query": ');
    expect(status).toBe(400);
    expect(body.errors[0].message).not.toMatch(/\.ts:\d+/);
  });
});
