import type { IncomingMessage, ServerResponse } from 'node:http';
import { credentialOf, sameSecret, sessionValue } from '../auth.ts';
import { hostName, isAllowedOrigin, isLoopbackName } from './origins.ts';
import { sessionCookieHeader } from './session-cookie.ts';

export interface FrontDoorOptions {
  token: string;
  /** The server listens on a loopback address: requests must be addressed to a loopback name. */
  loopback: boolean;
  corsOrigins: readonly string[];
}

export type Refusal = { status: 403 | 401; message: string };

/**
 * The checks every request meets before GraphQL (docs/front-door.md), over HTTP
 * and on the WebSocket upgrade alike:
 *
 * - on loopback, a `Host` that is not a loopback name is refused (DNS rebinding);
 * - a request authenticated by the session cookie with a foreign `Origin` is
 *   refused whatever it is (the cookie is SameSite=Strict, but a page served
 *   on another port of this host is the same site);
 * - a WebSocket upgrade with a foreign `Origin` is refused, authenticated or not.
 *
 * Requests with no `Origin` (non-browser clients) are judged by their token
 * alone, later (src/server.ts).
 */
export class FrontDoor {
  constructor(private readonly options: FrontDoorOptions) {}

  /** The request is addressed to this server by a name it answers to (undefined), or the refusal. */
  checkHost(req: IncomingMessage): Refusal | undefined {
    if (!this.options.loopback) return undefined;
    const host = req.headers.host;
    if (host && isLoopbackName(hostName(host))) return undefined;
    return {
      status: 403,
      message: `Host "${host ?? ''}" is not a loopback name: this server listens on loopback and answers only requests addressed to localhost, 127.0.0.1 or [::1]`,
    };
  }

  isAllowedOrigin(origin: string, hostHeader: string | undefined): boolean {
    return isAllowedOrigin(origin, hostHeader, this.options.corsOrigins);
  }

  /** An HTTP request: the host, then a cookie-authenticated request's origin. */
  checkRequest(req: IncomingMessage): Refusal | undefined {
    const refused = this.checkHost(req);
    if (refused) return refused;
    const origin = req.headers.origin;
    if (origin === undefined || this.isAllowedOrigin(origin, req.headers.host)) return undefined;
    if (credentialOf(this.options.token, req.headers) !== 'cookie') return undefined;
    return {
      status: 403,
      message: `Origin ${origin} may not use this server's session cookie: only pages of the server's own origin may (or those in AGENTFORGE_CORS_ORIGINS)`,
    };
  }

  /** A WebSocket upgrade: the host, then any foreign origin. */
  checkUpgrade(req: IncomingMessage): Refusal | undefined {
    const refused = this.checkHost(req);
    if (refused) return refused;
    const origin = req.headers.origin;
    if (origin === undefined || this.isAllowedOrigin(origin, req.headers.host)) return undefined;
    return {
      status: 403,
      message: `WebSocket from origin ${origin} refused: only pages of the server's own origin may connect (or those in AGENTFORGE_CORS_ORIGINS)`,
    };
  }

  /**
   * The sign-in URL (`/?token=…`, any path): a right token gets the session
   * cookie and a redirect to the same URL without the token, so it leaves
   * the address bar and the history. Answers true when it handled the request.
   */
  signIn(req: IncomingMessage, res: ServerResponse): boolean {
    if (req.method !== 'GET' || !req.url?.includes('token=')) return false;
    const url = new URL(req.url, 'http://localhost');
    const given = url.searchParams.get('token');
    if (given === null) return false;
    url.searchParams.delete('token');
    const headers = { 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' };
    if (!sameSecret(given, this.options.token)) {
      res.writeHead(401, { ...headers, 'content-type': 'text/plain; charset=utf-8' });
      res.end('Wrong sign-in token: open the sign-in URL that `npm start` printed.\n');
      return true;
    }
    res.writeHead(303, {
      ...headers,
      location: url.pathname + url.search,
      'set-cookie': sessionCookieHeader(sessionValue(this.options.token)),
    });
    res.end();
    return true;
  }
}

/** Ends a refused HTTP request with a one-line JSON error (the shape of the API's errors). */
export function refuse(res: ServerResponse, refusal: Refusal): void {
  res.writeHead(refusal.status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(
    JSON.stringify({
      errors: [
        {
          message: refusal.message,
          extensions: { code: refusal.status === 401 ? 'UNAUTHENTICATED' : 'FORBIDDEN' },
        },
      ],
    }),
  );
}
