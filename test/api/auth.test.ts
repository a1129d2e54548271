import { createClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { loadConfig } from '../../core/config.ts';
import { createSdk, ProjectsDocument } from '../../sdk/index.ts';
import { startTestApp, type TestApp } from '../support/app.ts';

const TOKEN = 'test-token-3f9a-4c1d-8e2b-77aa90c1f00d';
let app: TestApp;

beforeAll(async () => {
  app = await startTestApp({ AGENTFORGE_API_TOKEN: TOKEN, AGENTFORGE_RUNNER: 'off' });
});
afterAll(() => app?.close());

function wsQuery(connectionParams: Record<string, unknown>, headers: Record<string, string> = {}) {
  class HeaderWebSocket extends WebSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols, { headers });
    }
  }
  const client = createClient({
    url: app.url.replace('http', 'ws'),
    webSocketImpl: HeaderWebSocket,
    connectionParams,
    retryAttempts: 0,
  });
  return new Promise<{ data?: unknown; errors?: { extensions?: { code?: string } }[] }>((resolve) => {
    let result: unknown;
    client.subscribe(
      { query: '{ projects { id } }' },
      {
        next: (value) => {
          result = value;
        },
        error: (error) => resolve(Array.isArray(error) ? { errors: error } : Promise.reject(error)),
        complete: () => resolve(result as never),
      },
    );
  }).finally(() => client.dispose());
}

describe('AGENTFORGE_API_TOKEN', () => {
  it('HTTP without or with a wrong token is UNAUTHENTICATED (401)', async () => {
    const attempts: Record<string, string>[] = [
      {},
      { authorization: 'Bearer nope' },
      { authorization: TOKEN },
      { authorization: `Basic ${TOKEN}` },
    ];
    for (const headers of attempts) {
      const { status, body } = await app.post({ query: '{ projects { id } }' }, headers);
      expect(status).toBe(401);
      expect(body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
      expect(body.data).toBeUndefined();
    }
  });

  it('HTTP with the bearer token answers', async () => {
    const { status, body } = await app.post(
      { query: '{ projects { id } }' },
      { authorization: `Bearer ${TOKEN}` },
    );
    expect(status).toBe(200);
    expect(body.data.projects).toEqual([]);
    const sdk = createSdk({ url: app.url, token: TOKEN });
    expect((await sdk.request(ProjectsDocument, {})).projects).toEqual([]);
  });

  it('graphql-ws without or with a wrong token is UNAUTHENTICATED', async () => {
    for (const params of [{}, { authorization: 'Bearer wrong' }]) {
      const result = await wsQuery(params);
      expect(result.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      expect(result.data).toBeUndefined();
    }
  });

  it('graphql-ws with the token as a connection param or on the upgrade answers', async () => {
    expect(await wsQuery({ authorization: `Bearer ${TOKEN}` })).toEqual({ data: { projects: [] } });
    expect(await wsQuery({}, { authorization: `Bearer ${TOKEN}` })).toEqual({ data: { projects: [] } });
  });
});

describe('binding', () => {
  it('refuses a non-loopback HOST without a token', () => {
    expect(() => loadConfig({ HOST: '0.0.0.0' })).toThrow(/set AGENTFORGE_API_TOKEN/);
    expect(loadConfig({ HOST: '0.0.0.0', AGENTFORGE_API_TOKEN: TOKEN }).host).toBe('0.0.0.0');
    expect(loadConfig({}).host).toBe('127.0.0.1');
  });

  it('refuses a token shorter than 32 characters, on loopback too', () => {
    expect(() => loadConfig({ HOST: '0.0.0.0', AGENTFORGE_API_TOKEN: 't' })).toThrow(/at least 32/);
    expect(() => loadConfig({ AGENTFORGE_API_TOKEN: 'x'.repeat(31) })).toThrow(/at least 32/);
    expect(loadConfig({ AGENTFORGE_API_TOKEN: 'x'.repeat(32) }).apiToken).toBe('x'.repeat(32));
  });

  it('refuses malformed settings with a message naming them', () => {
    expect(() => loadConfig({ RUNNER_CONCURRENCY: 'many' })).toThrow(/RUNNER_CONCURRENCY must be an integer/);
    expect(() => loadConfig({ WORKLOAD_PORT_RANGE: '4000' })).toThrow(
      /WORKLOAD_PORT_RANGE must look like 3001-3999/,
    );
    expect(() => loadConfig({ DOCKER_NETWORK_MODE: 'overlay' })).toThrow(/DOCKER_NETWORK_MODE/);
  });
});
