import { randomBytes } from 'node:crypto';

/**
 * The API always requires a token, and most tests are not about that: a test
 * app started without AGENTFORGE_API_TOKEN gets a random one, and every
 * client the tests use presents it without being told. The SDK and `post`
 * of a TestApp, the CLI helpers (test/cli/cli.ts) and plain `fetch` to the
 * app's origin all send it. This module keeps which origin takes which
 * token (on globalThis: vitest may evaluate it again in the same process)
 * and wraps `fetch` once, adding `Authorization: Bearer …` to a request for
 * such an origin that carries neither an Authorization header nor a cookie.
 *
 * A test about authentication starts its app with AGENTFORGE_API_TOKEN set:
 * nothing is then added for it, and it sends what it means to.
 */
const KEY = Symbol.for('agentforge.test.tokensByOrigin');
type Registry = Map<string, string>;

function registry(): Registry {
  const global = globalThis as typeof globalThis & { [KEY]?: Registry };
  let tokens = global[KEY];
  if (!tokens) {
    tokens = new Map();
    global[KEY] = tokens;
    const original = globalThis.fetch;
    const registered = tokens;
    globalThis.fetch = (input, init) => {
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
      const token = registered.get(originOf(url));
      if (!token) return original(input, init);
      const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
      if (headers.has('authorization') || headers.has('cookie')) return original(input, init);
      headers.set('authorization', `Bearer ${token}`);
      return original(input, { ...init, headers });
    };
  }
  return tokens;
}

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '';
  }
}

/** A token as the API generates one. */
export function randomToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Clients of `url`'s origin present `token` from now on; the returned function ends that. */
export function presentTokenTo(url: string, token: string): () => void {
  const tokens = registry();
  const origin = originOf(url);
  tokens.set(origin, token);
  return () => {
    if (tokens.get(origin) === token) tokens.delete(origin);
  };
}

/** The token clients of `url`'s origin present without being told (undefined: none). */
export function tokenFor(url: string): string | undefined {
  return registry().get(originOf(url));
}
