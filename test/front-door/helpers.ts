import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import type pg from 'pg';
import WebSocket from 'ws';

/** `n` log entries of `size` characters for `workloadId`, written in one statement (seq 1…n). */
export async function fillLog(pool: pg.Pool, workloadId: string, n: number, size = 10): Promise<void> {
  await pool.query(
    `with "log" as (
       insert into "workload_log" ("workload_id", "seq", "ts", "stage", "level", "message")
       select $1, g, now(), 'running', 'info', 'line ' || g || ' ' || repeat('x', $3)
         from generate_series(1, $2) as g
       returning 1)
     update "workload" set "log_seq" = $2 where "id" = $1`,
    [workloadId, n, size],
  );
}

// biome-ignore lint/suspicious/noExplicitAny: graphql-transport-ws payloads, asserted field by field in the tests
type Payload = any;

export interface RawSocket {
  ws: WebSocket;
  messages: { id?: string; type: string; payload?: Payload }[];
  closed: Promise<{ code: number; reason: string }>;
  send(message: unknown): void;
  /** Resolves once a message satisfies `test` (the test's own timeout bounds it). */
  waitFor(test: (m: RawSocket['messages'][number]) => boolean): Promise<void>;
}

/** A graphql-transport-ws socket spoken by hand, to see every frame and the close. */
export async function openRawSocket(url: string, headers: Record<string, string> = {}): Promise<RawSocket> {
  const ws = new WebSocket(url.replace(/^http/, 'ws'), 'graphql-transport-ws', { headers });
  const messages: RawSocket['messages'] = [];
  const waiters = new Set<() => void>();
  ws.on('message', (data) => {
    messages.push(JSON.parse(String(data)));
    for (const w of waiters) w();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.once('close', (code, reason) => resolve({ code, reason: String(reason) })),
  );
  await new Promise<void>((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return {
    ws,
    messages,
    closed,
    send: (message) => ws.send(JSON.stringify(message)),
    waitFor: (test) =>
      new Promise<void>((resolve) => {
        const check = () => {
          if (messages.some(test)) {
            waiters.delete(check);
            resolve();
          }
        };
        waiters.add(check);
        check();
      }),
  };
}

/** What an upgrade attempt got: the HTTP status of a refusal, or 101. */
export function upgradeStatus(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url.replace(/^http/, 'ws'), 'graphql-transport-ws', { headers });
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.once('open', () => {
      resolve(101);
      ws.terminate();
    });
    ws.once('error', (error) => {
      if (!/Unexpected server response/.test(error.message)) reject(error);
    });
  });
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One HTTP request with exactly the headers given (Host, Origin, Cookie included), as a browser or a script sends it. */
export function rawRequest(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'GET', headers: options.headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.once('error', reject);
    req.end(options.body);
  });
}

/**
 * Upgrades to a WebSocket by hand and sends one binary frame of `bytes`
 * (masked with a zero key, so the payload needs no work), 1 MiB at a time
 * while the server reads. Resolves with the close code the server sends.
 */
export function sendHugeFrame(url: string, bytes: number): Promise<number> {
  const key = randomBytes(16).toString('base64');
  return new Promise((resolve, reject) => {
    const req = request(url, {
      headers: {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': key,
        'Sec-WebSocket-Protocol': 'graphql-transport-ws',
      },
    });
    req.once('error', reject);
    req.once('response', (res) => reject(new Error(`no upgrade: HTTP ${res.statusCode}`)));
    req.once('upgrade', (_res, socket) => {
      let received = Buffer.alloc(0);
      socket.on('data', (chunk: Buffer) => {
        received = Buffer.concat([received, chunk]);
        // A close frame: 0x88, its length, then the code.
        if (received.length >= 4 && received[0] === 0x88) {
          resolve(received.readUInt16BE(2));
          socket.destroy();
        }
      });
      socket.on('error', () => {});
      socket.on('close', () => resolve(0));
      const header = Buffer.alloc(14);
      header[0] = 0x82;
      header[1] = 0x80 | 127;
      header.writeBigUInt64BE(BigInt(bytes), 2);
      // Mask key 0 0 0 0 (bytes 10-13).
      socket.write(header);
      const chunk = Buffer.alloc(1024 * 1024, 0x61);
      let sent = 0;
      const pump = () => {
        while (sent < bytes && !socket.destroyed) {
          sent += chunk.length;
          if (!socket.write(chunk)) return void socket.once('drain', pump);
        }
      };
      pump();
    });
    req.end();
  });
}
