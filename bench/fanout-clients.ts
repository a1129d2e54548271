import { openRawWebSocket, type RawWebSocket } from './raw-websocket.ts';

/**
 * Many workloadLogs subscribers in one process, each its own WebSocket
 * speaking graphql-transport-ws directly. The B4 fan-out puts 1,000 of them
 * next to the API on the same cores: graphql-ws's client (message
 * validation, sinks, promises per event), or even the `ws` client alone,
 * would cost as much as the server being measured, so they use a minimal
 * WebSocket reader (raw-websocket.ts). They read just what the measurement needs from each
 * `next` frame (the seq and the write time its message carries); any other
 * frame is parsed in full, and an error ends the subscription.
 */

export interface FollowerEvents {
  /** An entry arrived at follower `index`. */
  entry(index: number, seq: number, message: string): void;
}

export interface Followers {
  /** Resolves when every follower's subscription completed; rejects on the first error. */
  done: Promise<void>;
  close(): void;
}

const CONNECT_WAVE = 50;
const SUBSCRIPTION = 'subscription ($id: ID!) { workloadLogs(workloadId: $id) { seq message } }';
/** How graphql-ws frames an entry of this subscription (id "1"): the fast path reads just seq and message. */
const ENTRY_PREFIX = '{"id":"1","type":"next","payload":{"data":{"workloadLogs":{"seq":';
const ENTRY_SUFFIX = '"}}}}';
const MESSAGE = ',"message":';

export async function followMany(
  apiUrl: string,
  workloadId: string,
  count: number,
  events: FollowerEvents,
  token?: string,
): Promise<Followers> {
  const url = apiUrl.replace(/^http/, 'ws');
  const sockets: RawWebSocket[] = [];
  const ended: Promise<void>[] = [];
  const follow = async (index: number) => {
    let resolveEnd!: () => void;
    let rejectEnd!: (error: Error) => void;
    const end = new Promise<void>((resolve, reject) => {
      resolveEnd = resolve;
      rejectEnd = reject;
    });
    // Observed through `done`; an early failure must not go unhandled until then.
    end.catch(() => {});
    ended.push(end);
    let acked!: () => void;
    let refused!: (error: Error) => void;
    const subscribed = new Promise<void>((resolve, reject) => {
      acked = resolve;
      refused = reject;
    });
    let completed = false;
    const ws = await openRawWebSocket(url, 'graphql-transport-ws', {
      onText(text) {
        // An entry without errors: `…{"seq":N,"message":"…"}}}}`. A message with an escape in it is
        // unescaped by JSON.parse; anything else (acks, errors, complete) is parsed in full below.
        if (text.startsWith(ENTRY_PREFIX) && text.endsWith(ENTRY_SUFFIX)) {
          const messageAt = text.indexOf(MESSAGE, ENTRY_PREFIX.length);
          const seq = Number.parseInt(text.slice(ENTRY_PREFIX.length, messageAt), 10);
          const quoted = text.slice(messageAt + MESSAGE.length, text.length - 4);
          events.entry(index, seq, quoted.includes('\\') ? JSON.parse(quoted) : quoted.slice(1, -1));
          return;
        }
        const message = JSON.parse(text) as { type: string; payload?: unknown };
        if (message.type === 'connection_ack') {
          ws.send(
            JSON.stringify({
              id: '1',
              type: 'subscribe',
              payload: { query: SUBSCRIPTION, variables: { id: workloadId } },
            }),
          );
          acked();
        } else if (message.type === 'complete') {
          completed = true;
          resolveEnd();
        } else if (message.type !== 'pong') rejectEnd(new Error(`follower ${index}: ${text}`));
      },
      onClose(code, reason) {
        const error = new Error(`follower ${index} closed (${code} ${reason}) before completing`);
        refused(error);
        if (!completed) rejectEnd(error);
      },
      onError: (error) => {
        refused(error);
        rejectEnd(error);
      },
    });
    sockets.push(ws);
    ws.send(
      JSON.stringify({ type: 'connection_init', payload: token ? { authorization: `Bearer ${token}` } : {} }),
    );
    await subscribed;
  };
  // In waves: a thousand handshakes at once on a loaded machine can keep a socket's connection_init
  // waiting past graphql-ws's connection timeout (the server then closes it).
  for (let from = 0; from < count; from += CONNECT_WAVE) {
    const wave = Array.from({ length: Math.min(CONNECT_WAVE, count - from) }, (_, i) => follow(from + i));
    await Promise.all(wave);
  }
  return {
    done: Promise.all(ended).then(() => undefined),
    close() {
      for (const ws of sockets) ws.terminate();
    },
  };
}
