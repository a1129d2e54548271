import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';

/**
 * The two byte streams the engine sends us, read with back-pressure: we
 * take the next chunk only once the log has room for the last one, so a
 * container or a build that prints faster than the log is stored waits
 * (the engine stops reading its output while our socket is full). Both
 * replace docker-modem's helpers (`demuxStream`, `followProgress`), which
 * read everything as fast as it comes and concatenate buffers: a long line
 * without a newline was quadratic and held whole in memory.
 */

const HEADER = 8;

/**
 * Splits an attach stream (Tty off) into stdout and stderr. The engine
 * frames output as an 8-byte header (stream type 1 or 2, three zero bytes,
 * big-endian payload length) and the payload. Payload bytes are passed on
 * as they arrive, a frame never buffered whole; only a header split across
 * chunks waits for its missing bytes. A stream that does not start with a
 * valid header (a Tty container) is passed to stdout as it is. Ends both
 * targets when the stream ends and resolves once they have taken
 * everything; rejects if the stream fails (the targets are ended too).
 *
 * Once the container has exited (`exited` settles), the rest is read
 * without waiting for the targets: the engine closes an attach stream two
 * seconds after the container's exit whatever is still in its buffers, so
 * the tail must leave them at once. What is left then is bounded by those
 * buffers (about 1 MiB per stream): the container prints no more.
 */
export async function demuxOutput(
  stream: AsyncIterable<Buffer>,
  stdout: Writable,
  stderr: Writable,
  exited: Promise<unknown>,
): Promise<void> {
  let hurry = false;
  const over = exited.then(
    () => {
      hurry = true;
    },
    () => {
      hurry = true;
    },
  );
  /** Writes `chunk`, then, while the container runs, waits for 'drain' if the target is full. */
  const writeTo = async (target: Writable, chunk: Buffer) => {
    if (!target.write(chunk) && !hurry) await Promise.race([once(target, 'drain'), over]);
  };
  let header: Buffer = Buffer.alloc(0);
  let target: Writable | undefined;
  let remaining = 0;
  let raw = false;
  try {
    for await (const data of stream) {
      let chunk = data;
      while (chunk.length > 0) {
        if (raw) {
          await writeTo(stdout, chunk);
          break;
        }
        if (remaining > 0 && target) {
          const payload = chunk.subarray(0, remaining);
          remaining -= payload.length;
          chunk = chunk.subarray(payload.length);
          await writeTo(target, payload);
          continue;
        }
        const need = HEADER - header.length;
        header =
          header.length === 0 && chunk.length >= HEADER
            ? chunk.subarray(0, HEADER)
            : Buffer.concat([header, chunk.subarray(0, need)]);
        chunk = chunk.subarray(Math.min(need, chunk.length));
        if (header.length < HEADER) break;
        const type = header[0];
        if (type !== 0 && type !== 1 && type !== 2) {
          raw = true;
          chunk = Buffer.concat([header, chunk]);
          header = Buffer.alloc(0);
          continue;
        }
        target = type === 2 ? stderr : stdout;
        remaining = header.readUInt32BE(4);
        header = Buffer.alloc(0);
      }
    }
  } catch (error) {
    stdout.end();
    stderr.end();
    throw error;
  }
  stdout.end();
  stderr.end();
  await Promise.all([finished(stdout), finished(stderr)]);
}

/** Largest JSON message of a build stream we hold (the engine's are one chunk of output each, a few KiB). */
export const MAX_BUILD_MESSAGE_BYTES = 4 * 1024 * 1024;

/** A build stream's message that would not fit in MAX_BUILD_MESSAGE_BYTES. */
export class OversizedMessageError extends Error {
  override name = 'OversizedMessageError';
}

/**
 * The JSON messages of a `docker build` (or pull) stream, one per line, in
 * order, read with back-pressure (the next chunk is read only once the
 * caller has handled the messages before it). A message is held until its
 * newline, as a list of chunks joined once; one over
 * MAX_BUILD_MESSAGE_BYTES is an OversizedMessageError.
 */
export async function* jsonMessages<T>(stream: AsyncIterable<Buffer | string>): AsyncGenerator<T> {
  let parts: Buffer[] = [];
  let size = 0;
  const message = (tail: Buffer): T | undefined => {
    const bytes = parts.length === 0 ? tail : Buffer.concat([...parts, tail]);
    parts = [];
    size = 0;
    const text = bytes.toString('utf8').trim();
    return text === '' ? undefined : (JSON.parse(text) as T);
  };
  for await (const data of stream) {
    let chunk = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    for (let nl = chunk.indexOf(10); nl !== -1; nl = chunk.indexOf(10)) {
      const item = message(chunk.subarray(0, nl));
      chunk = chunk.subarray(nl + 1);
      if (item !== undefined) yield item;
    }
    size += chunk.length;
    if (size > MAX_BUILD_MESSAGE_BYTES) {
      throw new OversizedMessageError(`The engine sent a message over ${MAX_BUILD_MESSAGE_BYTES} bytes`);
    }
    if (chunk.length > 0) parts.push(chunk);
  }
  const last = message(Buffer.alloc(0));
  if (last !== undefined) yield last;
}
