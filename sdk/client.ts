import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import { type Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';

/**
 * A small typed client over the generated documents: `request` for queries
 * and mutations over HTTP, `subscribe` for subscriptions over graphql-ws.
 * Results and variables are typed by the document.
 */
export interface SdkOptions {
  /** The GraphQL endpoint, e.g. http://127.0.0.1:4000/graphql */
  url: string;
  token?: string | undefined;
  /** graphql-ws retry attempts after a dropped connection (default 0). */
  retryAttempts?: number;
}

export interface GraphQLErrorShape {
  message: string;
  extensions?: { code?: string; [key: string]: unknown };
  path?: readonly (string | number)[];
}

/** An error answered by the API (with its `extensions.code`) or a transport failure (`code` NETWORK). */
export class SdkError extends Error {
  override name = 'SdkError';
  constructor(
    message: string,
    readonly code: string,
    readonly errors: GraphQLErrorShape[] = [],
    readonly status?: number,
  ) {
    super(message);
  }
}

function toSdkError(errors: readonly GraphQLErrorShape[], status?: number): SdkError {
  const first = errors[0];
  return new SdkError(
    first?.message ?? 'Unknown error',
    first?.extensions?.code ?? 'INTERNAL_SERVER_ERROR',
    [...errors],
    status,
  );
}

const cache = new WeakMap<object, string>();
function source(document: TypedDocumentNode<unknown, unknown>): string {
  let text = cache.get(document);
  if (!text) {
    text = print(document);
    cache.set(document, text);
  }
  return text;
}

export interface Sdk {
  request<R, V>(document: TypedDocumentNode<R, V>, variables: V): Promise<R>;
  /** Calls `onNext` for every event; resolves when the server completes, rejects on error. */
  subscribe<R, V>(
    document: TypedDocumentNode<R, V>,
    variables: V,
    onNext: (data: R) => void,
    signal?: AbortSignal,
  ): Promise<void>;
  ws(): Client;
  close(): Promise<void>;
}

export function createSdk(options: SdkOptions): Sdk {
  const authorization = options.token ? `Bearer ${options.token}` : undefined;
  let wsClient: Client | undefined;
  const ws = () => {
    wsClient ??= createClient({
      url: options.url.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: authorization ? { authorization } : {},
      retryAttempts: options.retryAttempts ?? 0,
      lazy: true,
    });
    return wsClient;
  };
  return {
    async request(document, variables) {
      let response: Response;
      try {
        response = await fetch(options.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            accept: 'application/graphql-response+json, application/json',
            ...(authorization ? { authorization } : {}),
          },
          body: JSON.stringify({ query: source(document as never), variables }),
        });
      } catch (error) {
        throw new SdkError(
          `Cannot reach ${options.url}: ${(error as Error).cause ?? (error as Error).message}`,
          'NETWORK',
        );
      }
      const text = await response.text();
      let body: { data?: unknown; errors?: GraphQLErrorShape[] };
      try {
        body = JSON.parse(text);
      } catch {
        throw new SdkError(
          `${options.url} answered ${response.status} with a body that is not JSON`,
          'NETWORK',
          [],
          response.status,
        );
      }
      if (body.errors?.length) throw toSdkError(body.errors, response.status);
      return body.data as never;
    },
    subscribe(document, variables, onNext, signal) {
      return new Promise<void>((resolve, reject) => {
        const unsubscribe = ws().subscribe(
          { query: source(document as never), variables: variables as Record<string, unknown> },
          {
            next: (result) => {
              if (result.errors?.length) reject(toSdkError(result.errors as GraphQLErrorShape[]));
              else onNext(result.data as never);
            },
            error: (error) => {
              if (Array.isArray(error)) reject(toSdkError(error as GraphQLErrorShape[]));
              else if (error instanceof Error) reject(new SdkError(error.message, 'NETWORK'));
              else {
                const close = error as { code?: number; reason?: string };
                reject(
                  new SdkError(
                    `WebSocket closed (${close.code ?? '?'} ${close.reason ?? ''})`.trim(),
                    'NETWORK',
                  ),
                );
              }
            },
            complete: () => resolve(),
          },
        );
        signal?.addEventListener('abort', () => {
          unsubscribe();
          resolve();
        });
      });
    },
    ws,
    async close() {
      await wsClient?.dispose();
      wsClient = undefined;
    },
  };
}
