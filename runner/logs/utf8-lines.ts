/**
 * Turning a service's raw output into log messages (docs/architecture.md, "Log pipeline"):
 *
 * - bytes are decoded as a stream, so a multi-byte character split across
 *   two chunks survives, and invalid UTF-8 becomes U+FFFD instead of an error;
 * - one line (ended by `\n` or `\r\n`) is one message, however it arrives;
 * - a message longer than MAX_MESSAGE_BYTES of UTF-8 is cut on a character
 *   boundary and ends with ` …[truncated N bytes]`. A line that never ends
 *   does not grow memory: only its first MAX_MESSAGE_BYTES are kept.
 */

export const MAX_MESSAGE_BYTES = 16 * 1024;

/** NUL cannot be stored in a PostgreSQL text column: it is replaced like invalid UTF-8. */
const NUL = /\u0000/g;

/** Longest prefix of `text` that fits in `maxBytes` of UTF-8, and how many bytes were left out. */
export function cutUtf8(text: string, maxBytes: number): { kept: string; restBytes: number } {
  // Every UTF-16 code unit is at most 3 bytes of UTF-8: short strings skip the encoding.
  if (text.length * 3 <= maxBytes) return { kept: text, restBytes: 0 };
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return { kept: text, restBytes: 0 };
  let cut = maxBytes;
  // Back up to the first byte of a character (continuation bytes are 10xxxxxx).
  while (cut > 0 && ((bytes[cut] ?? 0) & 0xc0) === 0x80) cut--;
  return { kept: bytes.subarray(0, cut).toString('utf8'), restBytes: bytes.length - cut };
}

function marked(kept: string, restBytes: number): string {
  return restBytes > 0 ? `${kept} …[truncated ${restBytes} bytes]` : kept;
}

/** A message as it is stored: at most MAX_MESSAGE_BYTES (plus the mark), no NUL. */
export function normalizeMessage(message: string): string {
  const { kept, restBytes } = cutUtf8(message, MAX_MESSAGE_BYTES);
  const clean = kept.includes('\u0000') ? kept.replace(NUL, '\uFFFD') : kept;
  return marked(clean, restBytes);
}

/**
 * Splits a byte stream into lines: the one splitter of every command's,
 * service's and container's output (runner/logs/line-input.ts feeds it).
 * `push` returns the lines completed by the chunk; `end` returns the last
 * unterminated line, if any.
 *
 * Linear time and bounded memory whatever the input: each chunk is decoded
 * once and searched once; of the current line only its first
 * MAX_MESSAGE_BYTES are kept (the rest is only counted), and its byte length
 * is only computed once it could exceed that, then kept up to date one part
 * at a time, so even a line arriving a byte at a time costs no more per byte.
 */
export class LineSplitter {
  private readonly decoder = new TextDecoder('utf-8');
  /** The current line's kept text (at most MAX_MESSAGE_BYTES once cut). */
  private head = '';
  /** UTF-8 bytes of `head`, once it is long enough that it may need cutting (undefined before). */
  private headBytes: number | undefined;
  /** Bytes of the current line past the kept text. */
  private restBytes = 0;
  /** Whether the current line's last character so far is `\r`. */
  private endsWithCr = false;

  /** Characters of the current line held in memory (at most MAX_MESSAGE_BYTES). */
  get held(): number {
    return this.head.length;
  }

  push(chunk: Uint8Array): string[] {
    return this.split(this.decoder.decode(chunk, { stream: true }));
  }

  end(): string[] {
    const lines = this.split(this.decoder.decode());
    if (this.head !== '' || this.restBytes > 0) lines.push(this.finish());
    return lines;
  }

  private split(text: string): string[] {
    const lines: string[] = [];
    let start = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
      this.append(text.slice(start, nl));
      lines.push(this.finish());
      start = nl + 1;
    }
    if (start < text.length) this.append(text.slice(start));
    return lines;
  }

  private append(part: string): void {
    if (part === '') return;
    this.endsWithCr = part.charCodeAt(part.length - 1) === 13;
    if (this.restBytes > 0) {
      this.restBytes += Buffer.byteLength(part, 'utf8');
      return;
    }
    this.head = this.head === '' ? part : this.head + part;
    if (this.headBytes !== undefined) this.headBytes += Buffer.byteLength(part, 'utf8');
    // Every UTF-16 code unit is at most 3 bytes of UTF-8: until then no byte needs counting.
    else if (this.head.length * 3 > MAX_MESSAGE_BYTES) this.headBytes = Buffer.byteLength(this.head, 'utf8');
    if (this.headBytes === undefined || this.headBytes <= MAX_MESSAGE_BYTES) return;
    const { kept, restBytes } = cutUtf8(this.head, MAX_MESSAGE_BYTES);
    this.head = kept;
    this.restBytes = restBytes;
  }

  private finish(): string {
    let head = this.head;
    let rest = this.restBytes;
    if (this.endsWithCr) {
      if (rest > 0) rest -= 1;
      else head = head.slice(0, -1);
    }
    this.head = '';
    this.headBytes = undefined;
    this.restBytes = 0;
    this.endsWithCr = false;
    const clean = head.includes('\u0000') ? head.replace(NUL, '\uFFFD') : head;
    return marked(clean, rest);
  }
}
