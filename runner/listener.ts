import pg from 'pg';

const FIRST_RETRY_MS = 100;
const MAX_RETRY_MS = 5_000;

export interface ListenerEvents {
  notification(channel: string, payload: string): void;
  /** After a reconnect: notifications may have been missed, re-read what matters. */
  reconnected(): void;
  error(error: Error): void;
}

/**
 * One dedicated connection LISTENing on a few channels (never a pool
 * connection: LISTEN is per session). When the connection drops it
 * reconnects with exponential backoff and says so, since NOTIFYs sent
 * meanwhile are lost (they only ever mean "look").
 */
export class NotificationListener {
  private client: pg.Client | undefined;
  private closed = false;
  private retryMs = FIRST_RETRY_MS;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly url: string,
    private readonly channels: readonly string[],
    private readonly events: ListenerEvents,
  ) {}

  /** Connects and listens; rejects when the first connection fails. */
  async start(): Promise<void> {
    await this.connect();
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.url,
      application_name: 'agentforge-runner-listen',
    });
    client.on('notification', (message) => this.events.notification(message.channel, message.payload ?? ''));
    client.on('error', (error) => {
      if (this.client === client) this.events.error(error);
      this.dropped(client);
    });
    client.on('end', () => this.dropped(client));
    try {
      await client.connect();
      for (const channel of this.channels) await client.query(`listen "${channel}"`);
    } catch (error) {
      // The connect or LISTEN failure is what the caller needs; a failing end() adds nothing.
      await client.end().catch(() => undefined);
      throw error;
    }
    if (this.closed) {
      await client.end();
      return;
    }
    this.client = client;
    this.retryMs = FIRST_RETRY_MS;
  }

  private dropped(client: pg.Client): void {
    if (this.client !== client || this.closed) return;
    this.client = undefined;
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed || this.retryTimer) return;
    const delay = this.retryMs;
    this.retryMs = Math.min(this.retryMs * 2, MAX_RETRY_MS);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.connect().then(
        () => {
          if (!this.closed) this.events.reconnected();
        },
        (error: Error) => {
          this.events.error(error);
          this.scheduleReconnect();
        },
      );
    }, delay);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = undefined;
    await client?.end();
  }
}
