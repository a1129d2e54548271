import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runningWorkload } from '../live/helpers.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { fillLog, rawRequest } from './helpers.ts';

/**
 * The front door over HTTP (docs/front-door.md): what a web page on another
 * origin, a DNS-rebinding page and a browser signed in with the cookie can
 * and cannot do, and the bounds on one request.
 */
let db: TestDatabase;
let app: TestApp;
let own: string;
beforeAll(async () => {
  db = await createTestDatabase();
  app = await startTestApp({ AGENTFORGE_RUNNER: 'off' }, { db });
  own = `http://127.0.0.1:${app.port}`;
});
afterAll(async () => {
  await app?.close();
  await db?.drop();
});

const projectCount = async () => Number((await db.pool.query('select count(*) from project')).rows[0].count);
const createProject = (name: string) =>
  `mutation { createProject(input: { name: "${name}", rootPath: "/tmp" }) { id } }`;

/** Signs in like a browser opening the printed URL; returns the cookie it got. */
async function signIn(): Promise<string> {
  const res = await rawRequest(`${own}/?token=${encodeURIComponent(app.token)}`);
  expect(res.status).toBe(303);
  const cookie = String(res.headers['set-cookie']);
  return cookie.slice(0, cookie.indexOf(';'));
}

describe('sign-in', () => {
  it('sets an HttpOnly, SameSite=Strict session cookie and redirects to the URL without the token', async () => {
    const res = await rawRequest(`${own}/?token=${encodeURIComponent(app.token)}`);
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/');
    const cookie = String(res.headers['set-cookie']);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).not.toContain(app.token);
    const session = cookie.slice(0, cookie.indexOf(';'));
    const query = await rawRequest(`${own}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: session, origin: own },
      body: JSON.stringify({ query: '{ projects { id } }' }),
    });
    expect(query.status).toBe(200);
    expect(JSON.parse(query.body).data.projects).toBeInstanceOf(Array);
  });

  it('a wrong token gets no cookie, and no credentials is UNAUTHENTICATED', async () => {
    const wrong = await rawRequest(`${own}/?token=${'x'.repeat(43)}`);
    expect(wrong.status).toBe(401);
    expect(wrong.headers['set-cookie']).toBeUndefined();
    const none = await rawRequest(`${own}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ projects { id } }' }),
    });
    expect(none.status).toBe(401);
    expect(JSON.parse(none.body).errors[0].extensions.code).toBe('UNAUTHENTICATED');
  });
});

describe('cross-origin requests', () => {
  it('a form or multipart POST from another origin executes nothing, with or without credentials', async () => {
    const cookie = await signIn();
    const before = await projectCount();
    const form = new URLSearchParams({ query: createProject('evil-form') }).toString();
    const boundary = '----agentforge';
    const multipart = [
      `--${boundary}`,
      'Content-Disposition: form-data; name="operations"',
      '',
      JSON.stringify({ query: createProject('evil-multipart') }),
      `--${boundary}`,
      'Content-Disposition: form-data; name="map"',
      '',
      '{}',
      `--${boundary}--`,
      '',
    ].join('\r\n');
    const attempts = [
      { 'content-type': 'application/x-www-form-urlencoded', body: form },
      { 'content-type': `multipart/form-data; boundary=${boundary}`, body: multipart },
      { 'content-type': 'text/plain', body: JSON.stringify({ query: createProject('evil-text') }) },
    ];
    for (const origin of ['http://evil.example', 'http://127.0.0.1:3001']) {
      for (const credentials of [{ cookie }, { authorization: app.authorization }, {}] as Record<
        string,
        string
      >[]) {
        for (const { body, ...type } of attempts) {
          const res = await rawRequest(`${own}/graphql`, {
            method: 'POST',
            headers: { ...type, ...credentials, origin },
            body,
          });
          expect(
            res.status,
            `${origin} ${type['content-type']} ${Object.keys(credentials)}`,
          ).toBeGreaterThanOrEqual(400);
          expect(res.headers['access-control-allow-origin']).toBeUndefined();
        }
      }
    }
    // Even from the server's own origin, a form POST is not a GraphQL request.
    const sameOrigin = await rawRequest(`${own}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie, origin: own },
      body: form,
    });
    expect(sameOrigin.status).toBe(403);
    expect(await projectCount()).toBe(before);
  });

  it('the session cookie with a foreign Origin is refused (403) whatever the content type', async () => {
    const cookie = await signIn();
    const before = await projectCount();
    for (const origin of ['http://evil.example', 'http://127.0.0.1:3001', 'null']) {
      const res = await rawRequest(`${own}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie, origin },
        body: JSON.stringify({ query: createProject('evil-json') }),
      });
      expect(res.status).toBe(403);
    }
    expect(await projectCount()).toBe(before);
  });

  it('CORS answers only the server’s own origin (and AGENTFORGE_CORS_ORIGINS)', async () => {
    const preflight = (origin: string, url = own) =>
      rawRequest(`${url}/graphql`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type',
        },
      });
    expect((await preflight('http://evil.example')).headers['access-control-allow-origin']).toBeUndefined();
    const same = await preflight(own);
    expect(same.headers['access-control-allow-origin']).toBe(own);
    expect(same.headers['access-control-allow-credentials']).toBe('true');

    const listed = await startTestApp({
      AGENTFORGE_RUNNER: 'off',
      AGENTFORGE_CORS_ORIGINS: 'https://dash.example, http://localhost:5173',
    });
    try {
      const url = `http://127.0.0.1:${listed.port}`;
      expect((await preflight('https://dash.example', url)).headers['access-control-allow-origin']).toBe(
        'https://dash.example',
      );
      expect(
        (await preflight('http://evil.example', url)).headers['access-control-allow-origin'],
      ).toBeUndefined();
    } finally {
      await listed.close();
    }
  });
});

describe('DNS rebinding', () => {
  it('a Host that is not a loopback name is refused with 403 and runs nothing', async () => {
    const before = await projectCount();
    for (const host of [`rebind.evil.example:${app.port}`, 'evil.example', `10.0.0.1:${app.port}`]) {
      const res = await rawRequest(`${own}/graphql`, {
        method: 'POST',
        headers: { host, 'content-type': 'application/json', authorization: app.authorization },
        body: JSON.stringify({ query: createProject('rebound') }),
      });
      expect(res.status).toBe(403);
      expect(JSON.parse(res.body).errors[0].message).toMatch(/not a loopback name/);
    }
    expect(await projectCount()).toBe(before);
    for (const host of [`localhost:${app.port}`, `127.0.0.1:${app.port}`, `[::1]:${app.port}`]) {
      const res = await rawRequest(`${own}/graphql`, {
        method: 'POST',
        headers: { host, 'content-type': 'application/json', authorization: app.authorization },
        body: JSON.stringify({ query: '{ projects { id } }' }),
      });
      expect(res.status, host).toBe(200);
    }
  });
});

describe('bounded requests', () => {
  const post = (query: string) => app.post({ query }, { accept: 'application/graphql-response+json' });

  it('51 aliases are a validation error; 50 are fine', async () => {
    const aliases = (n: number) =>
      `{ ${Array.from({ length: n }, (_, i) => `a${i}: projects { id }`).join(' ')} }`;
    const refused = await post(aliases(51));
    expect(refused.body.errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(refused.body.errors[0].message).toMatch(/Aliases limit of 50 exceeded/);
    expect(refused.body.data).toBeUndefined();
    const fine = await post(aliases(50));
    expect(fine.body.errors).toBeUndefined();
  });

  it('a document over 3,000 tokens is refused before it runs', async () => {
    const fields = Array.from({ length: 3100 }, () => 'id').join(' ');
    const refused = await post(`{ projects { ${fields} } }`);
    expect(['GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED']).toContain(
      refused.body.errors[0].extensions.code,
    );
    expect(refused.body.errors[0].message).toMatch(/Token limit of 3000 exceeded/);
  });

  it('lists inside lists are refused by their cost', async () => {
    const refused = await post(
      '{ workloads(first: 100) { edges { node { logs(first: 10000) { seq message } } } } }',
    );
    expect(refused.body.errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(refused.body.errors[0].message).toMatch(/cost/i);
  });

  it('20 aliases of logs(first: 10000) return at most 10,000 entries in all', async () => {
    const id = await runningWorkload(db.pool);
    await fillLog(db.pool, id, 12_000);
    const count = (data: Record<string, { logs: unknown[] } | null> | undefined) =>
      Object.values(data ?? {}).reduce((n, w) => n + (w?.logs.length ?? 0), 0);
    const aliases = (first: string) =>
      Array.from(
        { length: 20 },
        (_, i) => `l${i}: workload(id: "${id}") { logs(first: ${first}) { seq message } }`,
      ).join(' ');
    // The probe as written: its literal sizes already put it over the cost limit.
    const literal = await post(`{ ${aliases('10000')} }`);
    expect(literal.body.errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(count(literal.body.data)).toBe(0);
    // With the size in a variable the static cost cannot see it: the log budget holds.
    const { body } = await app.post(
      { query: `query ($n: Int) { ${aliases('$n')} }`, variables: { n: 10_000 } },
      { accept: 'application/graphql-response+json' },
    );
    expect(count(body.data)).toBe(10_000);
    expect(body.errors).toHaveLength(19);
    expect(body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    expect(body.errors[0].message).toMatch(/more than 10000 log entries/);
    // Within the cap, several fields share it.
    const shared = await post(
      `{ a: workload(id: "${id}") { logs(first: 4000) { seq } } b: workload(id: "${id}") { logs(first: 6000, after: 6000) { seq } } }`,
    );
    expect(shared.body.errors).toBeUndefined();
    expect(shared.body.data.a.logs).toHaveLength(4000);
    expect(shared.body.data.b.logs).toHaveLength(6000);
  });

  it('a crafted workloads cursor is BAD_USER_INPUT, never an internal error', async () => {
    const crafted = [
      `2024-01-01T00:00:00.000Z|${'-'.repeat(36)}`,
      `2024-01-01T00:00:00.000Z|${'0'.repeat(36)}`,
      `2024-01-01|123e4567-e89b-12d3-a456-426614174000`,
      `2024-01-01T00:00:00.000Z|123e4567-e89b-12d3-a456-426614174000|x`,
    ];
    for (const text of crafted) {
      const cursor = Buffer.from(text).toString('base64url');
      const { body } = await post(`{ workloads(after: "${cursor}") { edges { cursor } } }`);
      expect(body.errors[0].extensions.code, text).toBe('BAD_USER_INPUT');
      expect(body.errors[0].message).toMatch(/not a cursor this API returned/);
    }
  });
});
