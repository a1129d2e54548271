import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { useCSRFPrevention } from '@graphql-yoga/plugin-csrf-prevention';
import { createYoga, type Plugin, type YogaServerInstance } from 'graphql-yoga';
import type pg from 'pg';
import type { Config } from '../core/config.ts';
import { isLoopback } from '../core/config.ts';
import type { Database } from '../core/db/database.ts';
import { openPool } from '../core/db/pool.ts';
import { type Logger, lineWriter, silentLogger } from '../core/logger.ts';
import { type OrphanSweeper, startOrphanSweeper } from '../core/orphan-sweeper.ts';
import { credentialOf } from './auth.ts';
import type { Context } from './context.ts';
import { unauthenticated } from './errors.ts';
import { armorPlugins } from './front-door/armor.ts';
import { FrontDoor, refuse } from './front-door/gate.ts';
import { graphiqlPage } from './front-door/graphiql-page.ts';
import { dashboardHandler } from './http/dashboard.ts';
import { MAX_HTTP_CONNECTIONS, MAX_REQUEST_BODY_BYTES } from './limits.ts';
import type { LiveHub } from './live/hub.ts';
import { shareSubscriptionExecution } from './live/shared-execution.ts';
import { LogBudget } from './log-budget.ts';
import { metricsPlugins } from './metrics/endpoint.ts';
import { restError } from './rest/errors.ts';
import { restPlugin } from './rest/plugin.ts';
import { REST_BASE } from './rest/routes.ts';
import { schema } from './schema/index.ts';
import { createLoaders } from './services/loaders.ts';
import { serveWebSockets } from './ws-endpoint.ts';

export const GRAPHQL_PATH = '/graphql';
export { MAX_QUERY_DEPTH } from './limits.ts';

export interface App {
  /** Listens on config.host:config.port (0 picks a free port). */
  start(): Promise<{ url: string; port: number; signInUrl: string }>;
  /** Closes every HTTP and WebSocket connection it accepted. */
  stop(): Promise<void>;
  server: Server;
}

export interface AppOptions {
  config: Config;
  /** The token every request must prove it holds (see core/api-token.ts). */
  apiToken: string;
  db: Database;
  live: LiveHub;
  /** The process's logger (default: none). */
  logger?: Logger;
}

/**
 * Refuses requests that hold neither the bearer token nor the session
 * cookie (UNAUTHENTICATED, 401). GraphiQL's page itself is public: it holds
 * nothing, and its requests carry the cookie. Every other path is behind
 * it: GraphQL, REST and /metrics.
 */
function authPlugin(token: string): Plugin {
  return {
    onRequest({ request, url, endResponse, fetchAPI }) {
      if (credentialOf(token, request.headers)) return;
      const accept = request.headers.get('accept') ?? '';
      if (request.method === 'GET' && accept.includes('text/html') && url.pathname === GRAPHQL_PATH) return;
      const error = unauthenticated();
      if (url.pathname === REST_BASE || url.pathname.startsWith(`${REST_BASE}/`)) {
        const response = restError('UNAUTHENTICATED', error.message);
        response.headers.set('www-authenticate', 'Bearer');
        endResponse(response);
        return;
      }
      endResponse(
        new fetchAPI.Response(
          JSON.stringify({ errors: [{ message: error.message, extensions: { code: 'UNAUTHENTICATED' } }] }),
          {
            status: 401,
            headers: { 'content-type': 'application/json', 'www-authenticate': 'Bearer' },
          },
        ),
      );
    },
  };
}

export function buildApp({ config, apiToken, db, live, logger = silentLogger }: AppOptions): App {
  const log = logger.child({ component: 'api' });
  const frontDoor = new FrontDoor({
    token: apiToken,
    loopback: isLoopback(config.host),
    corsOrigins: config.corsOrigins,
  });
  const graphiql = graphiqlPage();
  // The REST plugin runs documents through this yoga instance, made just below.
  let yogaInstance: YogaServerInstance<Record<string, unknown>, Context> | undefined;
  const yoga = createYoga<Record<string, unknown>, Context>({
    schema,
    graphqlEndpoint: GRAPHQL_PATH,
    landingPage: false,
    graphiql: { title: 'AgentForge', subscriptionsProtocol: 'WS' },
    renderGraphiQL: graphiql.render,
    // Same origin only: a foreign Origin gets no CORS headers, so a browser shows its page nothing.
    cors: (request) => {
      const origin = request.headers.get('origin');
      const host = request.headers.get('host') ?? undefined;
      if (!origin || !frontDoor.isAllowedOrigin(origin, host)) return false;
      return { origin: [origin], credentials: true, methods: ['GET', 'POST'] };
    },
    maskedErrors: true,
    maxRequestBodySize: MAX_REQUEST_BODY_BYTES,
    logging: {
      debug: () => {},
      info: () => {},
      warn: (...args) => log.warn(args.map(String).join(' ')),
      error: (...args) => {
        const err = args.find((a) => a instanceof Error);
        log.error(
          err ? { err } : {},
          args.map((a) => (a instanceof Error ? a.message : String(a))).join(' '),
        );
      },
    },
    plugins: [
      authPlugin(apiToken),
      // A form or multipart POST (which a browser sends cross-origin without asking) executes nothing.
      useCSRFPrevention({ requestHeaders: ['x-graphql-yoga-csrf'] }),
      ...armorPlugins(),
      ...metricsPlugins(db.pool),
      restPlugin(schema, () => yogaInstance!),
      graphiql.plugin,
      shareSubscriptionExecution(),
    ],
    context: () => {
      const em = db.orm.em.fork();
      return { config, db, em, live, loaders: createLoaders(db.pool, em), logBudget: new LogBudget() };
    },
  });

  yogaInstance = yoga;
  const dashboard = dashboardHandler();
  const server = createServer((req, res) => {
    const refused = frontDoor.checkRequest(req);
    if (refused) return refuse(res, refused);
    if (frontDoor.signIn(req, res)) return;
    // The dashboard: its page and assets are public (no data in them); what it
    // shows comes through /graphql with the session cookie.
    if (dashboard(req, res)) return;
    yoga(req, res);
  });
  server.maxConnections = MAX_HTTP_CONNECTIONS;
  const ws = serveWebSockets({
    server,
    path: GRAPHQL_PATH,
    yoga,
    token: apiToken,
    frontDoor,
    onError: (error) =>
      log.error({ err: error }, `WebSocket: ${error instanceof Error ? error.message : String(error)}`),
  });

  let stopping: Promise<void> | undefined;
  // The API sweeps for gone runners too: with no runner alive, nobody else would.
  // Its own connection: requests never wait for it, nor it for them.
  let sweeper: { sweeper: OrphanSweeper; pool: pg.Pool } | undefined;
  return {
    server,
    async start() {
      if (!sweeper) {
        // A connection that dies (server restart): the next sweep opens another.
        const pool = openPool({ connectionString: db.url, max: 1, applicationName: 'agentforge-sweep' });
        sweeper = { pool, sweeper: startOrphanSweeper({ pool, selfId: null, log: lineWriter(log) }) };
      }
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(config.port, config.host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      const { port } = server.address() as AddressInfo;
      const host = config.host.includes(':') ? `[${config.host}]` : config.host;
      return {
        url: `http://${host}:${port}${GRAPHQL_PATH}`,
        port,
        signInUrl: `http://${host}:${port}/?token=${encodeURIComponent(apiToken)}`,
      };
    },
    stop() {
      stopping ??= (async () => {
        await sweeper?.sweeper.stop();
        await sweeper?.pool.end();
        await ws.close();
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      })();
      return stopping;
    },
  };
}
