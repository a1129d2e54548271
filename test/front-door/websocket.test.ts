import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runningWorkload } from '../live/helpers.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { fillLog, openRawSocket, upgradeStatus } from './helpers.ts';

/** The front door on the WebSocket (docs/front-door.md). */
let db: TestDatabase;
let app: TestApp;
beforeAll(async () => {
  db = await createTestDatabase();
  app = await startTestApp({ AGENTFORGE_RUNNER: 'off' }, { db });
});
afterAll(async () => {
  await app?.close();
  await db?.drop();
});

const LOGS = 'subscription ($id: ID!) { workloadLogs(workloadId: $id) { seq message } }';

describe('the upgrade', () => {
  it('is refused with 403 for a foreign Origin, even with the token, before any message', async () => {
    const own = `http://127.0.0.1:${app.port}`;
    for (const origin of ['http://evil.example', 'http://127.0.0.1:3001', 'null']) {
      expect(await upgradeStatus(app.url, { origin, authorization: app.authorization })).toBe(403);
    }
    expect(await upgradeStatus(app.url, { origin: own })).toBe(101);
    expect(await upgradeStatus(app.url, {})).toBe(101);
  });

  it('is refused with 403 for a Host that is not a loopback name', async () => {
    expect(await upgradeStatus(app.url, { host: `rebind.evil.example:${app.port}` })).toBe(403);
    expect(await upgradeStatus(app.url, { host: `localhost:${app.port}` })).toBe(101);
  });
});

describe('a connection', () => {
  it('that has not authenticated within 5 s is closed (4401)', async () => {
    const silent = await openRawSocket(app.url);
    const wrong = await openRawSocket(app.url);
    wrong.send({ type: 'connection_init', payload: { authorization: 'Bearer nope' } });
    await wrong.waitFor((m) => m.type === 'connection_ack');
    const started = Date.now();
    const [a, b] = await Promise.all([silent.closed, wrong.closed]);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect([4401, 4408]).toContain(a.code);
    expect(b.code).toBe(4401);
  });

  it('runs at most 100 operations at once', async () => {
    const id = await runningWorkload(db.pool);
    const socket = await openRawSocket(app.url);
    try {
      socket.send({ type: 'connection_init', payload: { authorization: app.authorization } });
      await socket.waitFor((m) => m.type === 'connection_ack');
      for (let i = 1; i <= 101; i++) {
        socket.send({ id: String(i), type: 'subscribe', payload: { query: LOGS, variables: { id } } });
      }
      await socket.waitFor((m) => m.id === '101' && m.type === 'error');
      const refused = socket.messages.find((m) => m.id === '101' && m.type === 'error');
      expect(refused?.payload[0].message).toMatch(/already runs 100 operations/);
      expect(socket.messages.filter((m) => m.type === 'error')).toHaveLength(1);
    } finally {
      socket.ws.terminate();
    }
  });
});

describe('a subscriber that stops reading during catch-up', () => {
  it('is closed with LOG_STREAM_OVERFLOW and the last seq it was sent, one error per subscription', async () => {
    const id = await runningWorkload(db.pool);
    // 80 MB of log: more than the kernel's loopback buffers hold for a socket that does not read.
    await fillLog(db.pool, id, 20_000, 4000);
    const socket = await openRawSocket(app.url);
    // The API runs in this process: twelve subscriptions waiting on one socket (more than the
    // ten listeners Node warns past) must not pile up listeners.
    const warnings: string[] = [];
    const warned = (warning: Error) => {
      if (warning.name === 'MaxListenersExceededWarning') warnings.push(warning.message);
    };
    process.on('warning', warned);
    try {
      socket.send({ type: 'connection_init', payload: { authorization: app.authorization } });
      await socket.waitFor((m) => m.type === 'connection_ack');
      const ids = Array.from({ length: 12 }, (_, i) => String(i + 1));
      for (const sub of ids) {
        socket.send({ id: sub, type: 'subscribe', payload: { query: LOGS, variables: { id } } });
      }
      socket.ws.pause();
      await new Promise((resolve) => setTimeout(resolve, 12_000));
      socket.ws.resume();
      for (const sub of ids) {
        await socket.waitFor((m) => m.id === sub && (m.type === 'error' || m.payload?.errors !== undefined));
      }
      for (const sub of ids) {
        const mine = socket.messages.filter((m) => m.id === sub && m.type === 'next');
        const seqs = mine.flatMap((m) => (m.payload.data ? [m.payload.data.workloadLogs.seq] : []));
        const error = mine.at(-1)?.payload.errors?.[0];
        expect(error?.extensions).toEqual({ code: 'LOG_STREAM_OVERFLOW', lastSeq: seqs.length });
        expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
        expect(seqs.length).toBeLessThan(20_000);
      }
      expect(warnings).toEqual([]);
    } finally {
      process.off('warning', warned);
      socket.ws.terminate();
    }
  });
});
