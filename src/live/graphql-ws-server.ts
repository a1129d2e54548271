import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { CloseCode, handleProtocols, makeServer, type ServerOptions } from 'graphql-ws';
import type { WebSocket, WebSocketServer } from 'ws';
import { SUBSCRIBER_STALL_MS } from '../limits.ts';
import { BatchedResults } from './event-batch.ts';

/** What graphql-ws hands our hooks as `ctx.extra` (the same as graphql-ws/use/ws). */
export interface WsExtra {
  socket: WebSocket;
  request: IncomingMessage;
}

/** A socket with more than this waiting to be written makes its subscriptions wait for 'drain'. */
const HIGH_WATER_BYTES = 64 * 1024;
const KEEP_ALIVE_MS = 12_000;

/**
 * graphql-ws over `ws`, like graphql-ws/use/ws, with two changes for log
 * fan-out:
 *
 * - `send` resolves as soon as a frame is queued while the socket has little
 *   waiting (use/ws waits for each frame's write callback, which costs every
 *   subscription a full event-loop turn per event), and waits for 'drain'
 *   only above HIGH_WATER_BYTES. A client that stops reading still stops its
 *   subscription from pulling (the live hub closes it when it falls too far
 *   behind); one that keeps up gets everything ready in one turn.
 * - The frames a socket gets in one turn are written together: the first
 *   send of a turn corks the TCP socket and a setImmediate uncorks it, one
 *   writev instead of one write per frame.
 *
 * Returns `dispose()`, which closes every socket and the server's handlers.
 */
export function serveGraphqlWs<P extends Record<string, unknown>, E extends Record<PropertyKey, unknown>>(
  options: ServerOptions<P, WsExtra & E>,
  wsServer: WebSocketServer,
  onError: (error: unknown) => void,
): { dispose(): Promise<void> } {
  const server = makeServer({
    ...options,
    // Results without errors go out as they are (graphql-ws would copy each one per subscriber)…
    onNext: (ctx, id, payload, args, result) =>
      options.onNext ? options.onNext(ctx, id, payload, args, result) : result.errors ? undefined : result,
    // …so a result shared by many subscribers is serialized once (see nextPayloads).
    jsonMessageReplacer: nextPayloads.replacer,
  });
  wsServer.options.handleProtocols = handleProtocols;
  wsServer.on('error', onError);

  wsServer.on('connection', (socket, request) => {
    socket.once('error', (error) => {
      onError(error);
      socket.close(CloseCode.InternalServerError, 'Internal server error');
    });
    const tcp = (socket as unknown as { _socket: Socket })._socket;
    const send = sender(socket, tcp);
    const ping = setInterval(() => {
      if (socket.readyState === socket.OPEN) socket.ping();
    }, KEEP_ALIVE_MS);
    const closed = server.opened(
      {
        protocol: socket.protocol,
        send,
        close: (code, reason) => socket.close(code, reason),
        onMessage: (cb) =>
          socket.on('message', async (data) => {
            try {
              await cb(String(data));
            } catch (error) {
              onError(error);
              socket.close(CloseCode.InternalServerError, 'Internal server error');
            }
          }),
      },
      { socket, request } as WsExtra & E,
    );
    socket.once('close', (code, reason) => {
      clearInterval(ping);
      closed(code, String(reason));
    });
  });

  return {
    async dispose() {
      for (const client of wsServer.clients) client.close(1001, 'Going away');
      wsServer.removeAllListeners('connection');
      wsServer.off('error', onError);
    },
  };
}

/**
 * `send` for graphql-ws: queue the frame, batch the turn's frames, wait only
 * when the socket is backed up. A `next` message arrives as prebuilt frames
 * (see nextPayloads), written to the TCP socket as they are: with
 * per-message deflate off (src/server.ts) ws writes its own frames
 * synchronously too, so frames never interleave, and its bufferedAmount
 * counts these bytes as well.
 */
function sender(socket: WebSocket, tcp: Socket): (data: string) => Promise<void> | undefined {
  return (message) => {
    const data = nextPayloads.restore(message);
    if (socket.readyState !== socket.OPEN) return undefined;
    corkUntilNextTurn(tcp);
    if (typeof data === 'string') socket.send(data);
    else for (const frame of data) tcp.write(frame);
    if (socket.bufferedAmount <= HIGH_WATER_BYTES) return undefined;
    return drained(socket, tcp);
  };
}

/**
 * The sends waiting on each backed-up socket. One 'drain' and one 'close'
 * listener per socket wake them all (a listener per subscription would pile
 * up); each has its own deadline.
 */
const waitingOn = new WeakMap<Socket, Set<() => void>>();

/**
 * Resolves when the socket has written what was waiting, closed, or taken
 * nothing for SUBSCRIBER_STALL_MS since this send: a client that has stopped
 * reading. Its subscription then goes on, and a log stream finds its step
 * took too long and ends with LOG_STREAM_OVERFLOW (see notify-hub.ts).
 */
function drained(socket: WebSocket, tcp: Socket): Promise<void> {
  const waiters = waitingOn.get(tcp) ?? watchDrain(socket, tcp);
  return new Promise<void>((resolve) => {
    const wake = () => {
      clearTimeout(timer);
      waiters.delete(wake);
      resolve();
    };
    const timer = setTimeout(wake, SUBSCRIBER_STALL_MS);
    waiters.add(wake);
  });
}

/** The socket's set of waiting sends, woken all at once by its next 'drain' or its 'close'. */
function watchDrain(socket: WebSocket, tcp: Socket): Set<() => void> {
  const waiters = new Set<() => void>();
  const wakeAll = () => {
    tcp.off('drain', wakeAll);
    socket.off('close', wakeAll);
    waitingOn.delete(tcp);
    for (const wake of waiters) wake();
  };
  tcp.on('drain', wakeAll);
  socket.on('close', wakeAll);
  waitingOn.set(tcp, waiters);
  return waiters;
}

/** Sockets corked in this turn; one setImmediate uncorks them all. */
const corked = new Set<Socket>();

function corkUntilNextTurn(tcp: Socket): void {
  if (corked.has(tcp) || tcp.destroyed) return;
  if (corked.size === 0) setImmediate(uncorkAll);
  corked.add(tcp);
  tcp.cork();
}

function uncorkAll(): void {
  for (const tcp of corked) tcp.uncork();
  corked.clear();
}

/**
 * Builds the frames of `next` messages once per result object, and turns a
 * BatchedResults step into one frame per result. The live hub's results are
 * shared by every subscriber of an operation (see shared-execution.ts), yet
 * graphql-ws stringifies the whole message for each one, and ws would
 * encode it and frame it again per socket. As graphql-ws's JSON replacer,
 * this swaps a `next` payload for a placeholder and keeps the result
 * object(s); `restore` returns, per result, the complete WebSocket text
 * frame of that message (the placeholder replaced by the result's JSON),
 * cached per result and message text: a thousand subscribers with the
 * same subscription id get the same bytes, encoded once. graphql-ws sends
 * each message right after stringifying it, in the same synchronous step
 * (graphql-ws 6), so the results kept are always those of the message being
 * sent.
 */
const nextPayloads = (() => {
  const PLACEHOLDER = '\u0000payload';
  const QUOTED = JSON.stringify(PLACEHOLDER);
  /** What a result carries once sent: its JSON, and its frame in the first message text it went in. */
  const SENT = Symbol('sentFrames');
  interface Sent {
    json: string;
    message: string;
    frame: Buffer;
    /** Frames for other message texts (other subscription ids). */
    more?: Map<string, Buffer>;
  }
  const build = (json: string, message: string) => {
    const at = message.lastIndexOf(QUOTED);
    return textFrame(message.slice(0, at) + json + message.slice(at + QUOTED.length));
  };
  /**
   * The frame of `result` in the message graphql-ws stringified as `message`
   * (its id part, the placeholder). Kept on the result object itself (it
   * goes when the result does): WeakMaps per result cost more in garbage
   * collection than the work they saved.
   */
  const frameOf = (result: object, message: string) => {
    const holder = result as { [SENT]?: Sent };
    const sent = holder[SENT];
    if (sent === undefined) {
      const json = JSON.stringify(result);
      const frame = build(json, message);
      if (Object.isExtensible(result)) holder[SENT] = { json, message, frame };
      return frame;
    }
    if (sent.message === message) return sent.frame;
    sent.more ??= new Map();
    let frame = sent.more.get(message);
    if (!frame) {
      frame = build(sent.json, message);
      sent.more.set(message, frame);
    }
    return frame;
  };
  let kept: readonly object[] | undefined;
  return {
    replacer(this: { type?: unknown }, key: string, value: unknown): unknown {
      if (key !== 'payload' || this.type !== 'next' || typeof value !== 'object' || value === null)
        return value;
      kept = value instanceof BatchedResults ? value.results : [value];
      return PLACEHOLDER;
    },
    /** The message to send for what graphql-ws stringified: its text, or the frames of its results. */
    restore(data: string): string | Buffer[] {
      if (kept === undefined) return data;
      const results = kept;
      kept = undefined;
      if (!data.includes(QUOTED)) return data;
      // Keyed by the message as stringified (id, type, placeholder): no new string per socket.
      return results.map((result) => frameOf(result, data));
    },
  };
})();

/**
 * An unmasked, final WebSocket text frame (server to client, RFC 6455 §5.2)
 * carrying `payload`; a string is encoded straight into the frame (no
 * intermediate Buffer to copy: a batch of log entries is tens of KB).
 */
export function textFrame(payload: Buffer | string): Buffer {
  const length = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
  const headerSize = length < 126 ? 2 : length < 65_536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(headerSize + length);
  frame[0] = 0x81;
  if (headerSize === 2) frame[1] = length;
  else if (headerSize === 4) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    frame.writeBigUInt64BE(BigInt(length), 2);
  }
  if (typeof payload === 'string') frame.write(payload, headerSize, 'utf8');
  else payload.copy(frame, headerSize);
  return frame;
}
