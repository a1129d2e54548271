/** The browser's session cookie, set by the sign-in URL (`/?token=…`). */
export const SESSION_COOKIE = 'agentforge_session';

/**
 * `HttpOnly`: page scripts cannot read it. `SameSite=Strict`: the browser
 * sends it only with requests made by pages of this site. A service on
 * another port of the same host is the same site, though, so cookie
 * requests are also checked against their `Origin` (see origins.ts).
 */
export function sessionCookieHeader(value: string): string {
  return `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict`;
}
