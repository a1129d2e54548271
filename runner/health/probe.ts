import { connect } from 'node:net';

/**
 * One look at a service: an HTTP `GET path` that must answer 2xx, or,
 * without a path, a TCP connection the port must accept. The deploy stage's
 * readiness wait (readiness.ts) and the periodic health check while running
 * (health-check.ts) both probe through this one function.
 */
export interface ProbeTarget {
  host: string;
  port: number;
  /** HTTP path that must answer 2xx; null: the port must accept TCP. */
  path: string | null;
}

export type ProbeResult =
  | { ok: true }
  | {
      ok: false;
      /** What went wrong, in words for a log entry or an error. */
      reason: string;
      /** The HTTP status answered, or the network error's code ("ECONNREFUSED", "TimeoutError"). */
      answer: number | string;
    };

export function probeUrl(target: ProbeTarget): string | null {
  if (!target.path) return null;
  const host = target.host.includes(':') ? `[${target.host}]` : target.host;
  return `http://${host}:${target.port}${target.path}`;
}

export function probe(target: ProbeTarget, timeoutMs: number): Promise<ProbeResult> {
  const url = probeUrl(target);
  return url ? probeHttp(url, target.path!, timeoutMs) : probeTcp(target.host, target.port, timeoutMs);
}

async function probeHttp(url: string, path: string, timeoutMs: number): Promise<ProbeResult> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'manual' });
    await response.body?.cancel();
    if (response.status >= 200 && response.status < 300) return { ok: true };
    return { ok: false, answer: response.status, reason: `GET ${path} answered HTTP ${response.status}` };
  } catch (error) {
    const name = (error as Error).name;
    if (name === 'TimeoutError' || name === 'AbortError') {
      return {
        ok: false,
        answer: 'TimeoutError',
        reason: `GET ${path} got no answer within ${timeoutMs} ms`,
      };
    }
    const cause = (error as Error).cause as NodeJS.ErrnoException | undefined;
    const code = cause?.code ?? name;
    return { ok: false, answer: code, reason: `GET ${path} failed (${code})` };
  }
}

function probeTcp(host: string, port: number, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.setTimeout(timeoutMs);
    const done = (result: ProbeResult) => {
      socket.destroy();
      resolve(result);
    };
    socket.once('connect', () => done({ ok: true }));
    socket.once('error', (error: NodeJS.ErrnoException) => {
      const code = error.code ?? error.name;
      done({ ok: false, answer: code, reason: `port ${port} did not accept a connection (${code})` });
    });
    socket.once('timeout', () =>
      done({
        ok: false,
        answer: 'TimeoutError',
        reason: `port ${port} did not accept a connection within ${timeoutMs} ms`,
      }),
    );
  });
}
