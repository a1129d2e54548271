import { timingSafeEqual } from 'node:crypto';

/**
 * Checks an `Authorization` value against the configured token in constant
 * time. With no token configured every request is allowed (the server then
 * only listens on loopback; see config.ts).
 */
export function isAuthorized(token: string | undefined, authorization: unknown): boolean {
  if (!token) return true;
  if (typeof authorization !== 'string') return false;
  const match = /^Bearer\s+(.+)$/i.exec(authorization.trim());
  if (!match) return false;
  const given = Buffer.from(match[1]!);
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
