import { createHash, randomBytes } from 'node:crypto';
import { request } from 'node:http';
import type { Socket } from 'node:net';

/**
 * A minimal WebSocket client (RFC 6455) for the fan-out benchmark's
 * measuring clients: a thousand of them share two cores with the server
 * being measured, and the `ws` client's per-frame work (a parser state
 * machine, an event per message, a Buffer per frame) made them cost as much
 * as the server. This one reads the text frames of one TCP chunk in a plain
 * loop and hands each to `onText`; it answers pings and handles close. It
 * assumes what our server sends: unmasked, unfragmented frames.
 */
export interface RawWebSocket {
  send(text: string): void;
  terminate(): void;
}

export interface RawWebSocketHandlers {
  onText(text: string): void;
  onClose(code: number, reason: string): void;
  onError(error: Error): void;
}

const OP_TEXT = 0x1;
const OP_CLOSE = 0x8;
const OP_PING = 0x9;
const OP_PONG = 0xa;
const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** Opens `url` (ws://host:port/path) with `protocol`; resolves once the server switched protocols. */
export function openRawWebSocket(
  url: string,
  protocol: string,
  handlers: RawWebSocketHandlers,
): Promise<RawWebSocket> {
  const target = new URL(url);
  const key = randomBytes(16).toString('base64');
  return new Promise((resolve, reject) => {
    const req = request({
      host: target.hostname,
      port: target.port,
      path: target.pathname + target.search,
      headers: {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': key,
        'Sec-WebSocket-Protocol': protocol,
      },
    });
    req.once('error', reject);
    req.once('response', (res) => reject(new Error(`no upgrade: HTTP ${res.statusCode}`)));
    req.once('upgrade', (res, socket: Socket, head: Buffer) => {
      const accept = createHash('sha1')
        .update(key + GUID)
        .digest('base64');
      if (res.headers['sec-websocket-accept'] !== accept) {
        socket.destroy();
        reject(new Error('bad Sec-WebSocket-Accept'));
        return;
      }
      socket.setNoDelay(true);
      const write = (opcode: number, payload: Buffer) => socket.write(maskedFrame(opcode, payload));
      let pending: Buffer | undefined = head.length > 0 ? head : undefined;
      let closed = false;
      const close = (code: number, reason: string) => {
        if (closed) return;
        closed = true;
        socket.destroy();
        handlers.onClose(code, reason);
      };
      const readFrames = () => {
        const buf = pending as Buffer;
        let at = 0;
        while (buf.length - at >= 2) {
          const opcode = (buf[at] as number) & 0x0f;
          let length = (buf[at + 1] as number) & 0x7f;
          let start = at + 2;
          if (length === 126) {
            if (buf.length - at < 4) break;
            length = buf.readUInt16BE(at + 2);
            start = at + 4;
          } else if (length === 127) {
            if (buf.length - at < 10) break;
            length = Number(buf.readBigUInt64BE(at + 2));
            start = at + 10;
          }
          const end = start + length;
          if (end > buf.length) break;
          if (opcode === OP_TEXT) handlers.onText(buf.toString('utf8', start, end));
          else if (opcode === OP_PING) write(OP_PONG, buf.subarray(start, end));
          else if (opcode === OP_CLOSE) {
            const code = length >= 2 ? buf.readUInt16BE(start) : 1005;
            close(code, buf.toString('utf8', start + 2, end));
            return;
          }
          at = end;
        }
        pending = at === buf.length ? undefined : buf.subarray(at);
      };
      socket.on('data', (chunk: Buffer) => {
        pending = pending ? Buffer.concat([pending, chunk]) : chunk;
        readFrames();
      });
      socket.once('error', (error) => handlers.onError(error));
      socket.once('close', () => close(1006, 'connection lost'));
      if (pending) readFrames();
      resolve({
        send: (text) => write(OP_TEXT, Buffer.from(text)),
        terminate: () => {
          closed = true;
          socket.destroy();
        },
      });
    });
    req.end();
  });
}

/** A client frame: FIN, `opcode`, masked payload (clients must mask). */
function maskedFrame(opcode: number, payload: Buffer): Buffer {
  const length = payload.length;
  const extra = length < 126 ? 0 : length < 65_536 ? 2 : 8;
  const frame = Buffer.alloc(2 + extra + 4 + length);
  frame[0] = 0x80 | opcode;
  if (extra === 0) frame[1] = 0x80 | length;
  else if (extra === 2) {
    frame[1] = 0x80 | 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 0x80 | 127;
    frame.writeBigUInt64BE(BigInt(length), 2);
  }
  const mask = randomBytes(4);
  mask.copy(frame, 2 + extra);
  for (let i = 0; i < length; i++)
    frame[2 + extra + 4 + i] = (payload[i] as number) ^ (mask[i & 3] as number);
  return frame;
}
