import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { GraphQLError } from 'graphql';
import { createYoga, type Plugin, type YogaServerInstance } from 'graphql-yoga';
import { WebSocketServer } from 'ws';
import type { Config } from '../core/config.ts';
import type { Database } from '../core/db/database.ts';
import { type Logger, silentLogger } from '../core/logger.ts';
import { isAuthorized } from './auth.ts';
import type { Context } from './context.ts';
import { unauthenticated } from './errors.ts';
import { serveGraphqlWs } from './live/graphql-ws-server.ts';
import type { LiveHub } from './live/hub.ts';
import { SENDS_BATCHES, shareSubscriptionExecution } from './live/shared-execution.ts';
import { metricsPlugins } from './metrics/endpoint.ts';
import { restError } from './rest/errors.ts';
import { restPlugin } from './rest/plugin.ts';
import { REST_BASE } from './rest/routes.ts';
import { schema } from './schema/index.ts';
import { createLoaders } from './services/loaders.ts';

export const GRAPHQL_PATH = '/graphql';
/** Queries nested deeper than this are refused at validation. */
export const MAX_QUERY_DEPTH = 15;

export interface App {
  /** Listens on config.host:config.port (0 picks a free port). */
  start(): Promise<{ url: string; port: number }>;
  /** Closes every HTTP and WebSocket connection it accepted. */
  stop(): Promise<void>;
  server: Server;
}

export interface AppOptions {
  config: Config;
  db: Database;
  live: LiveHub;
  /** The process's logger (default: none). */
  logger?: Logger;
}

/**
 * Refuses HTTP requests without the configured bearer token (GraphiQL's page
 * itself is public). Every path is behind it: GraphQL, REST and /metrics.
 */
function authPlugin(token: string | undefined): Plugin {
  return {
    onRequest({ request, url, endResponse, fetchAPI }) {
      if (isAuthorized(token, request.headers.get('authorization'))) return;
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

/**
 * The depth limit as a GraphQL validation rule, so a deep query fails like
 * any invalid one (GRAPHQL_VALIDATION_FAILED), over HTTP and WebSocket alike.
 */
function depthLimitPlugin(): Plugin {
  const rule = maxDepthRule({
    n: MAX_QUERY_DEPTH,
    ignoreIntrospection: true,
    exposeLimits: true,
    // Report as a validation error instead of throwing out of validation.
    propagateOnRejection: false,
    onReject: [
      (context, error) =>
        context?.reportError(new GraphQLError(error.message.replace(/^Syntax Error: /, ''))),
    ],
  });
  return {
    onValidate({ addValidationRule }) {
      addValidationRule(rule);
    },
  };
}

export function buildApp({ config, db, live, logger = silentLogger }: AppOptions): App {
  const log = logger.child({ component: 'api' });
  // The REST plugin runs documents through this yoga instance, made just below.
  let yogaInstance: YogaServerInstance<{ authorized?: boolean }, Context> | undefined;
  const yoga = createYoga<{ authorized?: boolean }, Context>({
    schema,
    graphqlEndpoint: GRAPHQL_PATH,
    landingPage: false,
    graphiql: { title: 'AgentForge', subscriptionsProtocol: 'WS' },
    maskedErrors: true,
    maxRequestBodySize: 1_000_000,
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
      authPlugin(config.apiToken),
      ...metricsPlugins(db.pool),
      restPlugin(schema, () => yogaInstance!),
      depthLimitPlugin(),
      shareSubscriptionExecution(),
    ],
    context: () => {
      const em = db.orm.em.fork();
      return { config, db, em, live, loaders: createLoaders(db.pool, em) };
    },
  });

  yogaInstance = yoga;
  const server = createServer(yoga);
  // No per-message deflate: the graphql-ws adapter writes prebuilt frames of shared results.
  const wsServer = new WebSocketServer({ server, path: GRAPHQL_PATH, perMessageDeflate: false });

  // graphql-ws goes through yoga's envelop, so WebSocket operations get the
  // same plugins (depth limit, masking), validation and context as HTTP.
  const wsHandle = serveGraphqlWs<Record<string, unknown>, { authorized: boolean }>(
    {
      onConnect: (ctx) => {
        ctx.extra.authorized =
          isAuthorized(config.apiToken, ctx.connectionParams?.authorization) ||
          isAuthorized(config.apiToken, ctx.extra.request.headers.authorization);
        return true;
      },
      onSubscribe: async (ctx, _id, payload) => {
        if (!ctx.extra.authorized) return [unauthenticated()];
        const enveloped = yoga.getEnveloped({
          ...ctx,
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          params: payload,
        });
        let document: ReturnType<typeof enveloped.parse>;
        try {
          document = enveloped.parse(payload.query);
        } catch (error) {
          if (error instanceof GraphQLError) return [error];
          throw error;
        }
        const errors = enveloped.validate(enveloped.schema, document);
        if (errors.length > 0) return errors;
        return {
          schema: enveloped.schema,
          operationName: payload.operationName,
          document,
          variableValues: payload.variables,
          // This transport sends each result of a BatchedResults step as its own message.
          contextValue: Object.assign(await enveloped.contextFactory(), { [SENDS_BATCHES]: true }),
          rootValue: { execute: enveloped.execute, subscribe: enveloped.subscribe },
        };
      },
      execute: (args) => (args.rootValue as { execute: (a: typeof args) => unknown }).execute(args) as never,
      subscribe: (args) =>
        (args.rootValue as { subscribe: (a: typeof args) => unknown }).subscribe(args) as never,
    },
    wsServer,
    (error) =>
      log.error({ err: error }, `WebSocket: ${error instanceof Error ? error.message : String(error)}`),
  );

  let stopping: Promise<void> | undefined;
  return {
    server,
    async start() {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(config.port, config.host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      const { port } = server.address() as AddressInfo;
      const host = config.host.includes(':') ? `[${config.host}]` : config.host;
      return { url: `http://${host}:${port}${GRAPHQL_PATH}`, port };
    },
    stop() {
      stopping ??= (async () => {
        for (const client of wsServer.clients) client.close(1001, 'Server shutting down');
        await wsHandle.dispose();
        await new Promise<void>((resolve) => wsServer.close(() => resolve()));
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      })();
      return stopping;
    },
  };
}
