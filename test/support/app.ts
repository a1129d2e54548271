import type { Server } from 'node:http';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { type Config, loadConfig } from '../../core/config.ts';
import { createSdk, type Sdk } from '../../sdk/index.ts';
import type { LiveHub } from '../../src/live/hub.ts';
import { createNotifyHub } from '../../src/live/notify-hub.ts';
import { buildApp } from '../../src/server.ts';
import { presentTokenTo, randomToken } from './auth.ts';
import { createTestDatabase, type TestDatabase } from './db.ts';

export interface TestApp {
  url: string;
  port: number;
  /** The API token (AGENTFORGE_API_TOKEN when the test set it, else a random one). */
  token: string;
  /** `Bearer <token>`: the Authorization header, or graphql-ws's `authorization` connection param. */
  authorization: string;
  /** Opening it in a browser signs in (sets the session cookie). */
  signInUrl: string;
  config: Config;
  db: TestDatabase;
  live: LiveHub;
  sdk: Sdk;
  /** The API's HTTP server (tests reach its upgraded sockets through it). */
  server: Server;
  /** Raw GraphQL over HTTP: the whole response body and status, for error assertions. */
  post(body: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any }>;
  gql<R, V>(document: TypedDocumentNode<R, V>, variables: V): Promise<R>;
  close(): Promise<void>;
}

/**
 * The API server on port 0 over a database of its own. `env` overrides
 * settings (AGENTFORGE_API_TOKEN, STOP_TIMEOUT_MS…) as the real process reads them.
 * Without AGENTFORGE_API_TOKEN it gets a random token that every client of
 * the tests presents by itself (see auth.ts); with it, only the SDK does.
 */
export async function startTestApp(
  env: Record<string, string> = {},
  options: { db?: TestDatabase; live?: (db: TestDatabase) => LiveHub } = {},
): Promise<TestApp> {
  const config = loadConfig({ HOST: '127.0.0.1', PORT: '0', ...env });
  const db = options.db ?? (await createTestDatabase());
  const live = options.live ? options.live(db) : createNotifyHub(db);
  const token = env.AGENTFORGE_API_TOKEN ?? randomToken();
  const app = buildApp({ config, apiToken: token, db, live });
  const { url, port, signInUrl } = await app.start();
  const forget = env.AGENTFORGE_API_TOKEN ? () => {} : presentTokenTo(url, token);
  const sdk = createSdk({ url, token });
  const closers: (() => Promise<void>)[] = [];
  return {
    url,
    port,
    token,
    authorization: `Bearer ${token}`,
    signInUrl,
    config,
    db,
    live,
    sdk,
    server: app.server,
    async post(body, headers = {}) {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {}
      return { status: response.status, body: parsed };
    },
    gql: (document, variables) => sdk.request(document, variables),
    async close() {
      for (const close of closers) await close();
      await sdk.close();
      await app.stop();
      forget();
      await live.close();
      if (!options.db) await db.drop();
    },
  };
}
