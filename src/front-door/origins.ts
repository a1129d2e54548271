import { isIP } from 'node:net';

/**
 * Who may talk to the API from a browser (docs/front-door.md): pages of the
 * server's own origin, and those AGENTFORGE_CORS_ORIGINS lists.
 */

/** The host part of a `Host` header: `[::1]:4000` → `::1`, `localhost:4000` → `localhost`. */
export function hostName(hostHeader: string): string {
  const value = hostHeader.trim().toLowerCase();
  if (value.startsWith('['))
    return value.slice(1, value.indexOf(']') === -1 ? undefined : value.indexOf(']'));
  const colon = value.lastIndexOf(':');
  return colon === -1 ? value : value.slice(0, colon);
}

/**
 * A name a DNS answer cannot point elsewhere: a loopback address, or
 * `localhost` and its subdomains, which browsers resolve to loopback
 * themselves (RFC 6761). A request addressed to anything else reached a
 * loopback server through a name an attacker may control (DNS rebinding).
 */
export function isLoopbackName(host: string): boolean {
  const name = host.endsWith('.') ? host.slice(0, -1) : host;
  if (name === 'localhost' || name.endsWith('.localhost')) return true;
  if (isIP(name) === 4) return name.startsWith('127.');
  if (isIP(name) === 6) return name === '::1' || name === '0:0:0:0:0:0:0:1';
  return false;
}

/**
 * The request's `Origin` is the server's own (the scheme and the `Host` it
 * was addressed to; https too, for a TLS proxy in front) or a listed one.
 */
export function isAllowedOrigin(origin: string, hostHeader: string | undefined, extra: readonly string[]) {
  if (extra.includes(origin)) return true;
  if (!hostHeader) return false;
  const host = hostHeader.trim().toLowerCase();
  return origin === `http://${host}` || origin === `https://${host}`;
}
