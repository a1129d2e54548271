import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import { type Client, createClient } from 'graphql-ws';

/**
 * The dashboard's client: queries and mutations over HTTP, subscriptions over
 * graphql-ws, both on the page's own origin. The session cookie set by the
 * sign-in URL authenticates both (the browser sends it with the WebSocket
 * upgrade too), so nothing is configured here.
 */
export const GRAPHQL_PATH = '/graphql';

export interface ApiErrorShape {
  message: string;
  extensions?: { code?: string; field?: string; [key: string]: unknown };
}

/** An error the API answered (its `extensions.code`), or `NETWORK`. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly errors: ApiErrorShape[] = [],
  ) {
    super(message);
  }
}

const printed = new WeakMap<object, string>();
function source(document: TypedDocumentNode<unknown, unknown>): string {
  let text = printed.get(document);
  if (text === undefined) {
    text = print(document);
    printed.set(document, text);
  }
  return text;
}

function toError(errors: readonly ApiErrorShape[]): ApiError {
  const first = errors[0];
  return new ApiError(first?.message ?? 'Unknown error', first?.extensions?.code ?? 'INTERNAL_SERVER_ERROR', [
    ...errors,
  ]);
}

export async function request<R, V>(document: TypedDocumentNode<R, V>, variables: V): Promise<R> {
  let response: Response;
  try {
    response = await fetch(GRAPHQL_PATH, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
      body: JSON.stringify({ query: source(document as never), variables }),
    });
  } catch (error) {
    throw new ApiError(`The API cannot be reached: ${(error as Error).message}`, 'NETWORK');
  }
  let body: { data?: R; errors?: ApiErrorShape[] };
  try {
    body = await response.json();
  } catch {
    throw new ApiError(`The API answered ${response.status} with a body that is not JSON`, 'NETWORK');
  }
  if (body.errors?.length) throw toError(body.errors);
  return body.data as R;
}

export function websocketUrl(location: Location = window.location): string {
  return `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}${GRAPHQL_PATH}`;
}

/** Opens a graphql-ws client. `retry` is false for streams that resume by themselves (logs). */
export function openSocket(options: { retry: boolean; onState?: (connected: boolean) => void }): Client {
  return createClient({
    url: websocketUrl(),
    lazy: true,
    keepAlive: 10_000,
    retryAttempts: options.retry ? Number.POSITIVE_INFINITY : 0,
    shouldRetry: () => options.retry,
    on: {
      connected: () => options.onState?.(true),
      closed: () => options.onState?.(false),
    },
  });
}

let shared: Client | undefined;
/** The page's one retrying socket for state subscriptions (workloadUpdated). */
export function sharedSocket(): Client {
  shared ??= openSocket({ retry: true });
  return shared;
}

export interface Subscription {
  unsubscribe(): void;
}

export function subscribe<R, V>(
  client: Client,
  document: TypedDocumentNode<R, V>,
  variables: V,
  sink: { next: (data: R) => void; error?: (error: ApiError) => void; complete?: () => void },
): Subscription {
  const unsubscribe = client.subscribe<R>(
    { query: source(document as never), variables: variables as Record<string, unknown> },
    {
      next: (result) => {
        if (result.errors?.length) sink.error?.(toError(result.errors as ApiErrorShape[]));
        else if (result.data) sink.next(result.data as R);
      },
      error: (error) => {
        if (Array.isArray(error)) sink.error?.(toError(error as ApiErrorShape[]));
        else {
          const close = error as { code?: number; reason?: string; message?: string };
          sink.error?.(
            new ApiError(
              close.message ?? `Connection closed (${close.code ?? '?'} ${close.reason ?? ''})`,
              'NETWORK',
            ),
          );
        }
      },
      complete: () => sink.complete?.(),
    },
  );
  return { unsubscribe };
}
