import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { watchHealth } from '../../runner/health/health-check.ts';

/** The prober loop against a real HTTP server answering a scripted sequence of statuses. */
let server: Server;
let port: number;
let answers: number[] = [];
let hits = 0;

beforeAll(async () => {
  server = createServer((_req, res) => {
    const status = answers[Math.min(hits++, answers.length - 1)] ?? 200;
    res.writeHead(status).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  // The first fetch of a process loads its HTTP client; keep that out of the timed probes.
  await fetch(`http://127.0.0.1:${port}/`).then((r) => r.arrayBuffer());
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const check = (failureThreshold: number) => ({
  target: { host: '127.0.0.1', port, path: '/health' },
  // Generous for a loaded machine: a probe that times out would count as a failure of another kind.
  intervalMs: 400,
  timeoutMs: 350,
  failureThreshold,
});

describe('watchHealth', () => {
  it('counts failures in a row: a success starts the count again', async () => {
    answers = [500, 503, 200, 500, 500, 500];
    hits = 0;
    const reported: string[] = [];
    const unhealthy = await watchHealth(check(3), new AbortController().signal, (k, n, reason) =>
      reported.push(`${k}/${n} ${reason}`),
    );
    expect(reported).toEqual([
      '1/3 GET /health answered HTTP 500',
      '2/3 GET /health answered HTTP 503',
      '1/3 GET /health answered HTTP 500',
      '2/3 GET /health answered HTTP 500',
      '3/3 GET /health answered HTTP 500',
    ]);
    expect(unhealthy).toEqual({ failures: 3, reason: 'GET /health answered HTTP 500' });
    expect(hits).toBe(6);
  });

  it('ends without a verdict when aborted, and does nothing with interval 0', async () => {
    answers = [200];
    hits = 0;
    const controller = new AbortController();
    const watching = watchHealth(check(1), controller.signal, () => {});
    setTimeout(() => controller.abort(), 1_000);
    expect(await watching).toBeUndefined();
    expect(hits).toBeGreaterThan(0);
    hits = 0;
    expect(await watchHealth({ ...check(1), intervalMs: 0 }, new AbortController().signal, () => {})).toBe(
      undefined,
    );
    expect(hits).toBe(0);
  });
});
