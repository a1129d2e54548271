import WebSocket from 'ws';

/**
 * Many workloadLogs subscribers in one process, each its own WebSocket
 * speaking graphql-transport-ws directly. The B4 fan-out puts 1,000 of them
 * next to the API on the same cores: graphql-ws's client (message
 * validation, sinks, promises per event) would cost as much as the server
 * being measured. These read just what the measurement needs from each
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

const SUBSCRIPTION = 'subscription ($id: ID!) { workloadLogs(workloadId: $id) { seq message } }';
const NEXT = '"type":"next"';
const SEQ = '"seq":';
const MESSAGE = '"message":';

export async function followMany(
  apiUrl: string,
  workloadId: string,
  count: number,
  events: FollowerEvents,
): Promise<Followers> {
  const url = apiUrl.replace(/^http/, 'ws');
  const sockets: WebSocket[] = [];
  const ended: Promise<void>[] = [];
  const subscribed: Promise<void>[] = [];
  for (let index = 0; index < count; index++) {
    const ws = new WebSocket(url, 'graphql-transport-ws', {
      perMessageDeflate: false,
      // The server is ours and sends JSON text: checking every frame's UTF-8 is the client's cost, not the server's.
      skipUTF8Validation: true,
    });
    sockets.push(ws);
    let acked!: () => void;
    subscribed.push(
      new Promise<void>((resolve) => {
        acked = resolve;
      }),
    );
    ended.push(
      new Promise<void>((resolve, reject) => {
        ws.once('open', () => ws.send(JSON.stringify({ type: 'connection_init', payload: {} })));
        ws.once('error', reject);
        ws.once('close', (code, reason) =>
          reject(new Error(`follower ${index} closed (${code} ${reason}) before completing`)),
        );
        ws.on('message', (data: Buffer) => {
          const text = data.toString();
          if (text.includes(NEXT) && !text.includes('"errors"')) {
            const seqAt = text.indexOf(SEQ) + SEQ.length;
            const seq = Number.parseInt(text.slice(seqAt, text.indexOf(',', seqAt)), 10);
            const messageAt = text.indexOf(MESSAGE) + MESSAGE.length;
            // The message is the last field: the text ends with its closing `}}}}`.
            events.entry(index, seq, JSON.parse(text.slice(messageAt, text.length - 4)));
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
          } else if (message.type === 'complete') resolve();
          else reject(new Error(`follower ${index}: ${text}`));
        });
      }),
    );
  }
  await Promise.all(subscribed);
  return {
    done: Promise.all(ended).then(() => undefined),
    close() {
      for (const ws of sockets) ws.terminate();
    },
  };
}
