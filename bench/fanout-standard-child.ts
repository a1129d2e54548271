/**
 * One process of B4's standard followers (bench/fanout-standard.ts): COUNT
 * graphql-ws clients (graphql-ws's createClient over `ws`, one WebSocket
 * each) following one workload with `workloadLogBatches { seq message }`,
 * as the SDK's followLogs and the CLI do. It talks to its parent over IPC:
 *
 * - `subscribed` once every client has had its first batch (the log's
 *   earlier entries: the subscription is live on the server);
 * - `finished` once every client has the line numbered LINES;
 * - `done` with the file of its latencies (Float64Array pairs: written
 *   at, latency) and the count of lines each client received, after every
 *   subscription completed.
 */
import { writeFile } from 'node:fs/promises';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { now, writtenAt } from './live-logs.ts';

const env = (name: string) => process.env[name] ?? '';
const [url, TOKEN, WORKLOAD_ID, OUT] = [env('URL'), env('TOKEN'), env('WORKLOAD_ID'), env('OUT')];
const count = Number(env('COUNT'));
const lines = Number(env('LINES'));
const warmup = Number(env('WARMUP_LINES'));
const WAVE = 50;
const QUERY = 'subscription ($id: ID!) { workloadLogBatches(workloadId: $id) { seq message } }';

const samples = new Float64Array(2 * (lines - warmup) * count);
let taken = 0;
const received = new Array<number>(count).fill(0);
let live = 0;
let finished = 0;
const send = (message: object) => process.send?.(message);

function follow(index: number): Promise<void> {
  const client = createClient({
    url: url.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${TOKEN}` },
    retryAttempts: 0,
  });
  let first = true;
  return new Promise<void>((resolve, reject) => {
    client.subscribe<{ workloadLogBatches: { seq: number; message: string }[] }>(
      { query: QUERY, variables: { id: WORKLOAD_ID } },
      {
        next({ data }) {
          if (first) {
            first = false;
            if (++live === count) send({ type: 'subscribed' });
          }
          for (const entry of data?.workloadLogBatches ?? []) {
            const message = entry.message;
            if (!message.startsWith('line ')) continue;
            received[index] = (received[index] ?? 0) + 1;
            const n = Number(message.slice(5, message.indexOf(' ', 5)));
            if (n === lines && ++finished === count) send({ type: 'finished' });
            if (n <= warmup || taken >= samples.length) continue;
            const at = writtenAt(message);
            samples[taken++] = at;
            samples[taken++] = now() - at;
          }
        },
        error: (error) => reject(error instanceof Error ? error : new Error(JSON.stringify(error))),
        complete: resolve,
      },
    );
  }).finally(() => client.dispose());
}

const ended: Promise<void>[] = [];
for (let i = 0; i < count; i += WAVE) {
  for (let j = i; j < Math.min(count, i + WAVE); j++) ended.push(follow(j));
  // One wave of connections at a time, as the raw followers do (a thousand handshakes at once time out).
  await new Promise((resolve) => setTimeout(resolve, 100));
}
try {
  await Promise.all(ended);
  await writeFile(OUT, samples.subarray(0, taken));
  send({ type: 'done', received });
} catch (error) {
  send({ type: 'failed', message: (error as Error).message });
}
process.disconnect?.();
