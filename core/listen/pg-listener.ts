import pg from 'pg';

export interface PgListenerOptions {
  url: string;
  channels: readonly string[];
  onNotification(channel: string, payload: string): void;
  /** Called after every reconnect (not the first connect): notifications may have been missed. */
  onReconnect(): void;
  /** Connection failures, for the server log; the listener keeps retrying. */
  onError?(error: unknown): void;
  /** First and longest wait between reconnect attempts (default 50 ms and 5 s). */
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

export interface PgListener {
  /** Resolves once the first LISTEN is active. */
  ready: Promise<void>;
  close(): Promise<void>;
}

/** Marks the listening connection in pg_stat_activity (tests find it there to kill it). */
export const LISTENER_APPLICATION_NAME = 'agentforge-listen';

/**
 * One dedicated connection (not from the pool: a pooled client would be
 * handed back and its LISTENs lost) that LISTENs on `channels` and, when it
 * drops, reconnects with exponential backoff until `close()`.
 */
export function createPgListener(options: PgListenerOptions): PgListener {
  const minBackoff = options.minBackoffMs ?? 50;
  const maxBackoff = options.maxBackoffMs ?? 5000;
  let client: pg.Client | undefined;
  let closed = false;
  let connectedOnce = false;
  let retryTimer: NodeJS.Timeout | undefined;
  let backoff = minBackoff;
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });

  const scheduleReconnect = () => {
    if (closed || retryTimer) return;
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      void connect();
    }, backoff);
    backoff = Math.min(backoff * 2, maxBackoff);
  };

  const connect = async () => {
    const c = new pg.Client({
      connectionString: options.url,
      application_name: LISTENER_APPLICATION_NAME,
      keepAlive: true,
    });
    let lost = false;
    const drop = (error?: unknown) => {
      if (lost) return;
      lost = true;
      if (error) options.onError?.(error);
      if (client === c) client = undefined;
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
      await c.end();
      return;
    }
    client = c;
    backoff = minBackoff;
    if (connectedOnce) options.onReconnect();
    connectedOnce = true;
    markReady();
  };

  void connect();
  return {
    ready,
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
