import { Socket } from 'node:net';
import pg from 'pg';
import { Backoff } from '../retry.ts';

export interface PgListenerOptions {
  url: string;
  channels: readonly string[];
  onNotification(channel: string, payload: string): void;
  /**
   * Catch-up: called after every reconnect (not the first connect). NOTIFYs
   * sent while the connection was down are lost, so whoever listens re-reads
   * what matters from the tables here.
   */
  onReconnect(): void;
  /** Connection failures, for the server log; the listener keeps retrying. */
  onError?(error: unknown): void;
  /** Shown in pg_stat_activity (tests find the connection there to kill it). */
  applicationName?: string;
  /** First and longest wait between reconnect attempts (default 50 ms and 5 s). */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** Keep-alive: a `select 1` this often on the idle connection (default 10 s)… */
  keepAliveMs?: number;
  /** …that must answer within this long, or the connection is dropped and made anew (default 5 s). */
  keepAliveTimeoutMs?: number;
}

export interface PgListener {
  /** Resolves once the first LISTEN is active. */
  ready: Promise<void>;
  /** Whether a LISTEN connection is up right now. */
  readonly connected: boolean;
  close(): Promise<void>;
}

/** The API's listening connection in pg_stat_activity; the runner's has its own name. */
export const LISTENER_APPLICATION_NAME = 'agentforge-listen';

/**
 * The one LISTEN connection of a process part (the API's live hub, a
 * runner): a dedicated `pg.Client` (never a pool connection: a pooled client
 * is handed back and its LISTENs are lost) that
 *
 * - reconnects with backoff (core/retry.ts) whenever it drops, until `close()`;
 * - keeps alive: LISTEN only ever reads, so a connection whose server or
 *   network went away without a word (a half-open TCP connection, a frozen
 *   proxy) would wait forever; a `select 1` every `keepAliveMs` that must
 *   answer within `keepAliveTimeoutMs` finds it, and its socket is destroyed
 *   (TCP keep-alive is on as well, for the kernel's own detection);
 * - catches up: `onReconnect` after each reconnect.
 */
export function createPgListener(options: PgListenerOptions): PgListener {
  const backoff = new Backoff({
    firstMs: options.minBackoffMs ?? 50,
    maxMs: options.maxBackoffMs ?? 5000,
  });
  const keepAliveMs = options.keepAliveMs ?? 10_000;
  const keepAliveTimeoutMs = options.keepAliveTimeoutMs ?? 5_000;
  let client: pg.Client | undefined;
  let closed = false;
  let connectedOnce = false;
  let retryTimer: NodeJS.Timeout | undefined;
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });

  const scheduleReconnect = () => {
    if (closed || retryTimer) return;
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      void connect();
    }, backoff.next());
  };

  const connect = async () => {
    // Our own socket, so a connection that stopped answering can be cut at once.
    const socket = new Socket();
    const c = new pg.Client({
      connectionString: options.url,
      application_name: options.applicationName ?? LISTENER_APPLICATION_NAME,
      keepAlive: true,
      keepAliveInitialDelayMillis: keepAliveMs,
      stream: () => socket,
    });
    let lost = false;
    let pinger: NodeJS.Timeout | undefined;
    const drop = (error?: unknown) => {
      if (lost) return;
      lost = true;
      clearInterval(pinger);
      if (error) options.onError?.(error);
      if (client === c) client = undefined;
      socket.destroy();
      c.end().catch(() => {
        // Already broken: nothing more to release.
      });
      scheduleReconnect();
    };
    c.on('error', drop);
    c.on('end', () => drop());
    c.on('notification', (n) => options.onNotification(n.channel, n.payload ?? ''));
    try {
      await c.connect();
      await c.query(options.channels.map((ch) => `listen "${ch}"`).join('; '));
    } catch (error) {
      drop(error);
      return;
    }
    if (closed) {
      lost = true;
      await c.end();
      return;
    }
    client = c;
    backoff.reset();
    pinger = setInterval(() => ping(c, drop), keepAliveMs);
    pinger.unref();
    if (connectedOnce) options.onReconnect();
    connectedOnce = true;
    markReady();
  };

  const ping = (c: pg.Client, drop: (error?: unknown) => void) => {
    let answered = false;
    const timer = setTimeout(() => {
      if (!answered) drop(new Error(`The LISTEN connection did not answer within ${keepAliveTimeoutMs} ms`));
    }, keepAliveTimeoutMs);
    timer.unref();
    c.query('select 1').then(
      () => {
        answered = true;
        clearTimeout(timer);
      },
      (error) => {
        answered = true;
        clearTimeout(timer);
        drop(error);
      },
    );
  };

  void connect();
  return {
    ready,
    get connected() {
      return client !== undefined;
    },
    async close() {
      closed = true;
      if (retryTimer) clearTimeout(retryTimer);
      markReady();
      const c = client;
      client = undefined;
      await c?.end();
    },
  };
}
