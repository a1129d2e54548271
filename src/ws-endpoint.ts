import type { Server } from 'node:http';
import { GraphQLError } from 'graphql';
import { CloseCode } from 'graphql-ws';
import type { YogaServerInstance } from 'graphql-yoga';
import { type WebSocket, WebSocketServer } from 'ws';
import { credentialOf, isAuthorized } from './auth.ts';
import type { Context } from './context.ts';
import { badInput, unauthenticated } from './errors.ts';
import type { FrontDoor } from './front-door/gate.ts';
import {
  MAX_SUBSCRIPTIONS_PER_CONNECTION,
  MAX_WS_CONNECTIONS,
  WS_AUTH_TIMEOUT_MS,
  WS_MAX_PAYLOAD_BYTES,
} from './limits.ts';
import { serveGraphqlWs } from './live/graphql-ws-server.ts';
import { SENDS_BATCHES } from './live/shared-execution.ts';

export interface WsEndpointOptions {
  server: Server;
  path: string;
  // biome-ignore lint/suspicious/noExplicitAny: yoga's server context type is its own business here
  yoga: YogaServerInstance<any, Context>;
  token: string;
  frontDoor: FrontDoor;
  onError(error: unknown): void;
}

/**
 * graphql-ws on the API's path (docs/contract.md, docs/front-door.md). The upgrade is refused
 * with 403 for a foreign Origin or a rebinding Host, and with 503 past the
 * connection cap, before any message. A frame larger than 1 MiB closes its
 * socket (1009) without being buffered. A connection authenticates with its
 * connection params, the upgrade's Authorization header or the session
 * cookie; one that has not within 5 s is closed (4401), and one may run at
 * most 100 operations at once.
 */
export function serveWebSockets({ server, path, yoga, token, frontDoor, onError }: WsEndpointOptions) {
  const wsServer = new WebSocketServer({
    server,
    path,
    // No per-message deflate: the graphql-ws adapter writes prebuilt frames of shared results.
    perMessageDeflate: false,
    maxPayload: WS_MAX_PAYLOAD_BYTES,
    verifyClient: ({ req }, done) => {
      const refused = frontDoor.checkUpgrade(req);
      if (refused) return done(false, refused.status, refused.message);
      if (wsServer.clients.size >= MAX_WS_CONNECTIONS) {
        return done(false, 503, `Too many WebSocket connections (${MAX_WS_CONNECTIONS}): try again later`);
      }
      done(true);
    },
  });
  const authenticated = new WeakSet<WebSocket>();
  wsServer.on('connection', (socket) => {
    const timer = setTimeout(() => {
      if (!authenticated.has(socket)) {
        socket.close(CloseCode.Unauthorized, 'Not authenticated within 5 s');
      }
    }, WS_AUTH_TIMEOUT_MS);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
  });

  // graphql-ws goes through yoga's envelop, so WebSocket operations get the
  // same plugins (limits, masking), validation and context as HTTP.
  const handle = serveGraphqlWs<Record<string, unknown>, { authorized: boolean }>(
    {
      connectionInitWaitTimeout: WS_AUTH_TIMEOUT_MS,
      onConnect: (ctx) => {
        const { socket, request } = ctx.extra;
        ctx.extra.authorized =
          isAuthorized(token, ctx.connectionParams?.authorization) ||
          credentialOf(token, request.headers) !== undefined;
        if (ctx.extra.authorized) authenticated.add(socket);
        // Acknowledged either way: its operations get UNAUTHENTICATED until the socket is closed.
        return true;
      },
      onSubscribe: async (ctx, _id, payload) => {
        if (!ctx.extra.authorized) return [unauthenticated()];
        if (Object.keys(ctx.subscriptions).length > MAX_SUBSCRIPTIONS_PER_CONNECTION) {
          return [
            badInput(
              `This connection already runs ${MAX_SUBSCRIPTIONS_PER_CONNECTION} operations, the most one connection may: complete one first or open another connection`,
            ),
          ];
        }
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
    onError,
  );

  return {
    wsServer,
    async close() {
      for (const client of wsServer.clients) client.close(1001, 'Server shutting down');
      await handle.dispose();
      await new Promise<void>((resolve) => wsServer.close(() => resolve()));
    },
  };
}
