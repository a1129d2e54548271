import { describe, expect, it } from 'vitest';
import { LineSplitter, MAX_MESSAGE_BYTES, normalizeMessage } from '../../runner/logs/utf8-lines.ts';

function splitAll(chunks: (string | number[])[]): string[] {
  const splitter = new LineSplitter();
  const lines: string[] = [];
  for (const c of chunks)
    lines.push(...splitter.push(typeof c === 'string' ? Buffer.from(c) : Buffer.from(c)));
  lines.push(...splitter.end());
  return lines;
}

describe('LineSplitter', () => {
  it('makes one entry per line however the bytes are chunked, with \\n and \\r\\n', () => {
    expect(splitAll(['one\ntw', 'o\r', '\nthree\r\n', '\n', 'four'])).toEqual([
      'one',
      'two',
      'three',
      '',
      'four',
    ]);
  });

  it('keeps a multi-byte character split across chunks, byte by byte', () => {
    const bytes = [...Buffer.from('smile 😀 é ok\n')];
    expect(splitAll(bytes.map((b) => [b]))).toEqual(['smile 😀 é ok']);
  });

  it('replaces invalid UTF-8 and NUL with U+FFFD instead of failing', () => {
    expect(splitAll([[0x62, 0xff, 0xfe, 0x21, 0x0a], 'nul\u0000here\n', [0xe2, 0x82]])).toEqual([
      'b\uFFFD\uFFFD!',
      'nul\uFFFDhere',
      '\uFFFD',
    ]);
  });

  it('cuts a 100 KB line at 16 KiB on a character boundary, names the bytes cut, and keeps only 16 KiB in memory', () => {
    const line = `é${'a'.repeat(100_000)}`; // 100,002 bytes; the 2-byte é shifts every boundary by one
    const chunks = line.match(/[\s\S]{1,4096}/g) ?? [];
    const [cut] = splitAll([...chunks, '\n']);
    const kept = cut?.slice(0, cut.indexOf(' …'));
    expect(Buffer.byteLength(kept ?? '')).toBe(MAX_MESSAGE_BYTES);
    expect(cut).toBe(`${kept} …[truncated ${100_002 - MAX_MESSAGE_BYTES} bytes]`);
    expect(line.startsWith(kept ?? '?')).toBe(true);
  });

  it('never splits a character when cutting: a 3-byte character straddling 16 KiB is left out whole', () => {
    const message = `${'a'.repeat(MAX_MESSAGE_BYTES - 1)}€tail`;
    const cut = normalizeMessage(message);
    expect(cut).toBe(`${'a'.repeat(MAX_MESSAGE_BYTES - 1)} …[truncated 7 bytes]`);
    expect(normalizeMessage('short')).toBe('short');
  });
});
