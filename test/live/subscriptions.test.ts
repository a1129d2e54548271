import { randomUUID } from 'node:crypto';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { parse } from 'graphql';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LISTENER_APPLICATION_NAME } from '../../core/listen/pg-listener.ts';
import { transitionWorkload, updateWorkload } from '../../core/sql/transition.ts';
import { createLogWriter } from '../../runner/logs/log-writer.ts';
import { WorkloadUpdatedDocument } from '../../sdk/index.ts';
import { fillLog } from '../front-door/helpers.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { collectLogs, range } from './collect.ts';
import { killPrinters, moveThrough, runningWorkload, spawnPrinter } from './helpers.ts';

let db: TestDatabase;
let app: TestApp;
beforeAll(async () => {
  db = await createTestDatabase();
  app = await startTestApp({}, { db });
});
afterEach(() => killPrinters());
afterAll(async () => {
  await app?.close();
  await db?.drop();
});

/** Pipes a printer into a writer for `id` and resolves once every line is committed. */
async function print(id: string, env: Record<string, string>): Promise<void> {
  const sink = createLogWriter(db.pool, id);
  await sink.pipe(spawnPrinter(env).stdout!, 'running', 'info');
  await sink.close();
}

describe('workloadLogs over graphql-ws', () => {
  it('20,000 lines: from the start, joining mid-stream and resuming in the middle — each in order, no gap or duplicate, complete on stop', async () => {
    const id = await runningWorkload(db.pool);
    const first = collectLogs(app.sdk, id);
    const printing = print(id, { LOG_LINES: '20000', LOG_RATE: '10000' });
    await first.reached(3000);
    const joining = collectLogs(app.sdk, id);
    const resuming = collectLogs(app.sdk, id, 7000);
    await printing;
    await moveThrough(db.pool, id, ['running', 'stopped']);
    await Promise.all([first.done, joining.done, resuming.done]);
    expect(first.seqs).toEqual(range(1, 20_000));
    expect(joining.seqs).toEqual(range(1, 20_000));
    expect(resuming.seqs).toEqual(range(7001, 20_000));
    expect(first.messages[19_999]).toMatch(/^line 20000 /);
    // A terminal workload replays and completes.
    const late = collectLogs(app.sdk, id, 19_990);
    await late.done;
    expect(late.seqs).toEqual(range(19_991, 20_000));
  });

  it('loses no line when the LISTEN connection is killed mid-stream', async () => {
    const id = await runningWorkload(db.pool);
    const sub = collectLogs(app.sdk, id);
    const printing = print(id, { LOG_LINES: '4000', LOG_RATE: '4000' });
    const listener = () =>
      db.pool.query(
        `select pid from pg_stat_activity where datname = current_database() and application_name = $1`,
        [LISTENER_APPLICATION_NAME],
      );
    const before = (await listener()).rows.map((r) => r.pid);
    await sub.reached(500);
    await db.pool.query(
      `select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and application_name = $1`,
      [LISTENER_APPLICATION_NAME],
    );
    await printing;
    await moveThrough(db.pool, id, ['running', 'stopped']);
    await sub.done;
    expect(sub.seqs).toEqual(range(1, 4000));
    const after = (await listener()).rows.map((r) => r.pid);
    expect(after).toHaveLength(1);
    expect(before).not.toContain(after[0]);
  });

  it('carries a 100 KB line (cut), invalid UTF-8 and an emoji split across writes', async () => {
    const id = await runningWorkload(db.pool);
    await print(id, { LOG_LINES: '0', LOG_SPECIAL: '1' });
    await moveThrough(db.pool, id, ['running', 'failed']);
    const sub = collectLogs(app.sdk, id);
    await sub.done;
    expect(sub.messages).toEqual([
      `${'a'.repeat(16_384)} …[truncated ${100_000 - 16_384} bytes]`,
      'bad \uFFFD\uFFFD!',
      'smile 😀 ok',
      'windows line',
    ]);
  });

  it('answers NOT_FOUND for an unknown workload on both subscriptions', async () => {
    const id = randomUUID();
    await expect(collectLogs(app.sdk, id).done).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(
      app.sdk.subscribe(WorkloadUpdatedDocument, { workloadId: id }, () => {}),
    ).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
  });
});

describe('workloadUpdated over graphql-ws', () => {
  it('sends the current state, then every committed change, and completes after the terminal one', async () => {
    const id = await runningWorkload(db.pool);
    const states: { stage: string; port: number | null; pid: number | null }[] = [];
    let resolveFirst: () => void = () => {};
    const first = new Promise<void>((r) => {
      resolveFirst = r;
    });
    const done = app.sdk.subscribe(WorkloadUpdatedDocument, { workloadId: id }, ({ workloadUpdated: w }) => {
      states.push({ stage: w.stage, port: w.port ?? null, pid: w.pid ?? null });
      resolveFirst();
    });
    await first;
    await updateWorkload(db.pool, id, { port: 4321 });
    await updateWorkload(db.pool, id, { pid: 99 });
    await moveThrough(db.pool, id, ['running', 'stopped']);
    await done;
    expect(states[0]).toEqual({ stage: 'running', port: null, pid: null });
    expect(states.at(-1)).toEqual({ stage: 'stopped', port: 4321, pid: 99 });
    // Every change arrives (the port before the pid before the stop); none is repeated.
    expect(states.map((s) => `${s.stage}:${s.port}:${s.pid}`)).toEqual([
      'running:null:null',
      'running:4321:null',
      'running:4321:99',
      'stopped:4321:99',
    ]);
  });

  it('gives each state a budget of log entries of its own, as each is a response of its own', async () => {
    const id = await runningWorkload(db.pool);
    await fillLog(db.pool, id, 7000);
    const updates = parse(
      'subscription ($workloadId: ID!) { workloadUpdated(workloadId: $workloadId) { stage logs(first: 6000) { seq } } }',
    ) as TypedDocumentNode<
      { workloadUpdated: { stage: string; logs: { seq: number }[] } },
      { workloadId: string }
    >;
    const seen: string[] = [];
    let resolveFirst: () => void = () => {};
    const first = new Promise<void>((r) => {
      resolveFirst = r;
    });
    const done = app.sdk.subscribe(updates, { workloadId: id }, ({ workloadUpdated: w }) => {
      seen.push(`${w.stage}:${w.logs.length}:${w.logs.at(-1)?.seq}`);
      resolveFirst();
    });
    await first;
    await updateWorkload(db.pool, id, { port: 4321 });
    await moveThrough(db.pool, id, ['running', 'stopped']);
    await done;
    // 6,000 twice would pass the 10,000 a response may carry, were the budget the subscription's.
    expect(seen).toEqual(['running:6000:6000', 'running:6000:6000', 'stopped:6000:6000']);
  });

  it('joining while changes are being committed: the current state, then every later change, without a gap or a step back', async () => {
    const id = await runningWorkload(db.pool);
    const CHANGES = 200;
    const pids: number[] = [];
    let stage = '';
    const writes = (async () => {
      for (let pid = 1; pid <= CHANGES; pid++) {
        await updateWorkload(db.pool, id, { pid });
        await new Promise((r) => setTimeout(r, 1));
      }
    })();
    // Join after a few changes, while the rest are still being committed.
    while ((await db.pool.query(`select pid from workload where id = $1`, [id])).rows[0].pid < 20) {
      await new Promise((r) => setTimeout(r, 1));
    }
    const done = app.sdk.subscribe(WorkloadUpdatedDocument, { workloadId: id }, ({ workloadUpdated: w }) => {
      if (w.pid != null) pids.push(w.pid);
      stage = w.stage;
    });
    await writes;
    await moveThrough(db.pool, id, ['running', 'stopped']);
    await done;
    expect(stage).toBe('stopped');
    const first = pids[0] ?? 0;
    expect(first).toBeGreaterThanOrEqual(20);
    // Every pid from the joining state on, each once (the terminal state repeats the last pid).
    expect(pids.slice(0, -1)).toEqual(range(first, CHANGES));
    expect(pids.at(-1)).toBe(CHANGES);
  });

  it('delivers a state too big for a NOTIFY payload (re-read from the table) and completes after it', async () => {
    const id = await runningWorkload(db.pool);
    const states: { stage: string; error: string | null }[] = [];
    let resolveFirst: () => void = () => {};
    const first = new Promise<void>((r) => {
      resolveFirst = r;
    });
    const done = app.sdk.subscribe(WorkloadUpdatedDocument, { workloadId: id }, ({ workloadUpdated: w }) => {
      states.push({ stage: w.stage, error: w.error ?? null });
      resolveFirst();
    });
    await first;
    const error = `Service crashed: ${'x'.repeat(9000)}`;
    await transitionWorkload(db.pool, id, 'running', 'failed', {
      error,
      failedStage: 'running',
      failureReason: 'crash',
    });
    await done;
    expect(states).toEqual([
      { stage: 'running', error: null },
      { stage: 'failed', error },
    ]);
  });
});

describe('API restart', () => {
  it('a client resumes with its last seq on a new server and gets the rest without gap or duplicate', async () => {
    const first = await startTestApp({}, { db });
    const id = await runningWorkload(db.pool);
    const sub = collectLogs(first.sdk, id);
    const printing = print(id, { LOG_LINES: '3000', LOG_RATE: '3000' });
    await sub.reached(500);
    await first.close();
    // The client sees its stream end (how depends on the transport); it resumes either way.
    await sub.done.catch(() => {});
    const last = sub.seqs.at(-1) ?? 0;
    const second = await startTestApp({}, { db });
    try {
      const resumed = collectLogs(second.sdk, id, last);
      await printing;
      await moveThrough(db.pool, id, ['running', 'stopped']);
      await resumed.done;
      expect([...sub.seqs, ...resumed.seqs]).toEqual(range(1, 3000));
    } finally {
      await second.close();
    }
  });
});

describe('over SSE', () => {
  const sse = (query: string, variables: Record<string, unknown>) =>
    fetch(app.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ query, variables }),
    });
  const events = (text: string) =>
    text
      .split('\n\n')
      .filter((block) => block.includes('event: next'))
      .map((block) => JSON.parse(block.slice(block.indexOf('data: ') + 6)));

  it('streams workloadLogs (replay, live, complete) and workloadUpdated', async () => {
    const id = await runningWorkload(db.pool);
    const sink = createLogWriter(db.pool, id);
    sink.write('running', 'info', 'one');
    await sink.flush();
    const logs = await sse('subscription ($id: ID!) { workloadLogs(workloadId: $id) { seq message } }', {
      id,
    });
    const updates = await sse('subscription ($id: ID!) { workloadUpdated(workloadId: $id) { stage } }', {
      id,
    });
    expect(logs.headers.get('content-type')).toContain('text/event-stream');
    sink.write('running', 'warn', 'two');
    await sink.close();
    await moveThrough(db.pool, id, ['running', 'stopped']);
    const logText = await logs.text();
    expect(events(logText).map((e) => e.data.workloadLogs)).toEqual([
      { seq: 1, message: 'one' },
      { seq: 2, message: 'two' },
    ]);
    expect(logText).toContain('event: complete');
    expect(events(await updates.text()).map((e) => e.data.workloadUpdated.stage)).toEqual([
      'running',
      'stopped',
    ]);
  });
});

/** graphql-transport-ws messages as the raw socket receives them. */
interface WsMessage {
  type: string;
  payload: {
    data?: { workloadLogs: { seq: number } } | null;
    errors?: { message: string; extensions?: Record<string, unknown> }[];
  };
}

describe('a subscriber that never reads', () => {
  it('is closed with LOG_STREAM_OVERFLOW and its last seq, while another keeps up with every line', async () => {
    const { createNotifyHub } = await import('../../src/live/notify-hub.ts');
    const small = await startTestApp(
      {},
      { db, live: (d) => createNotifyHub(d, { subscriberBuffer: 500, stallMs: 200 }) },
    );
    const { default: WebSocket } = await import('ws');
    const ws = new WebSocket(small.url.replace(/^http/, 'ws'), 'graphql-transport-ws');
    const opened = new Promise((r) => ws.once('open', r));
    const received: WsMessage[] = [];
    let ended!: () => void;
    const end = new Promise<void>((r) => {
      ended = r;
    });
    try {
      const id = await runningWorkload(db.pool);
      await opened;
      ws.on('message', (data) => {
        const message = JSON.parse(String(data));
        received.push(message);
        if (message.type === 'complete' || message.type === 'error') ended();
      });
      ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: small.authorization } }));
      await new Promise<void>((r) => {
        const check = () => (received.some((m) => m.type === 'connection_ack') ? r() : setTimeout(check, 5));
        check();
      });
      ws.send(
        JSON.stringify({
          id: '1',
          type: 'subscribe',
          payload: {
            query: 'subscription ($id: ID!) { workloadLogs(workloadId: $id) { seq message } }',
            variables: { id },
          },
        }),
      );
      ws.pause();
      const fast = collectLogs(small.sdk, id);
      // 80 MB: more than the kernel's loopback buffers (tcp_rmem + tcp_wmem
      // can reach tens of MB) hold for a client that does not read.
      await print(id, { LOG_LINES: '20000', LOG_PAD: '4000' });
      await moveThrough(db.pool, id, ['running', 'stopped']);
      await fast.done;
      expect(fast.seqs).toEqual(range(1, 20_000));

      ws.resume();
      await end;
      const nexts = received.filter((m) => m.type === 'next');
      const entries = nexts.flatMap((m) => (m.payload.data ? [m.payload.data.workloadLogs.seq] : []));
      const error = nexts.at(-1)?.payload.errors?.[0];
      expect(error?.extensions).toEqual({ code: 'LOG_STREAM_OVERFLOW', lastSeq: entries.length });
      expect(error?.message).toContain(`after: ${entries.length}`);
      expect(entries).toEqual(range(1, entries.length));
      expect(entries.length).toBeLessThan(20_000);
      // Resuming as told gets the rest.
      const resumed = collectLogs(small.sdk, id, entries.length);
      await resumed.done;
      expect(resumed.seqs).toEqual(range(entries.length + 1, 20_000));
    } finally {
      ws.terminate();
      await small.close();
    }
  });
});
