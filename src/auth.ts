import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { SESSION_COOKIE } from './front-door/session-cookie.ts';

/**
 * Checks an `Authorization` value (`Bearer <token>`) against the API token
 * in constant time. The API always has a token (docs/front-door.md): given on the
 * command line, or generated in the data directory.
 */
export function isAuthorized(token: string, authorization: unknown): boolean {
  if (typeof authorization !== 'string') return false;
  const match = /^Bearer\s+(.+)$/i.exec(authorization.trim());
  if (!match) return false;
  return sameSecret(match[1]!, token);
}

/** The value of the browser's session cookie for `token`: derived from it, so the token itself is never stored in a cookie. */
export function sessionValue(token: string): string {
  return createHmac('sha256', token).update('agentforge session v1').digest('base64url');
}

/** How a request proved it holds the token (undefined: it did not). */
export type Credential = 'bearer' | 'cookie';

/** The bearer header first, else the session cookie. */
export function credentialOf(
  token: string,
  headers: IncomingHttpHeaders | Pick<Headers, 'get'>,
): Credential | undefined {
  // A fetch Headers (yoga's request: not necessarily this realm's class) or node's header object.
  const get = (name: string) =>
    typeof headers.get === 'function'
      ? ((headers as Pick<Headers, 'get'>).get(name) ?? undefined)
      : ((headers as IncomingHttpHeaders)[name] as string | undefined);
  if (isAuthorized(token, get('authorization'))) return 'bearer';
  const cookie = readCookie(get('cookie'), SESSION_COOKIE);
  if (cookie !== undefined && sameSecret(cookie, sessionValue(token))) return 'cookie';
  return undefined;
}

/** Constant-time for equal lengths; a length mismatch answers at once (the length is not the secret). */
export function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
