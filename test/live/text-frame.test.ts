import type { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import * as ws from 'ws';
import { textFrame } from '../../src/live/graphql-ws-server.ts';

// ws's frame parser; its typings do not declare it.
const { Receiver } = ws as unknown as {
  Receiver: new (options: { isServer: boolean }) => Writable;
};

/** Parses frames with ws's own receiver (what every `ws` client runs) and returns the text messages. */
function receive(frames: Buffer[]): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const receiver = new Receiver({ isServer: false });
    const messages: string[] = [];
    receiver.on('message', (data: Buffer, isBinary: boolean) => {
      expect(isBinary).toBe(false);
      messages.push(data.toString());
      if (messages.length === frames.length) resolve(messages);
    });
    receiver.on('error', reject);
    for (const frame of frames) receiver.write(frame);
  });
}

describe('prebuilt WebSocket text frames', () => {
  it('carry payloads of every length encoding (7-bit, 16-bit, 64-bit) intact, multi-byte UTF-8 included', async () => {
    const payloads = [
      '{"a":1}',
      `{"m":"${'é😀'.repeat(40)}"}`,
      `{"m":"${'x'.repeat(125)}"}`,
      'y'.repeat(65_535),
      'z'.repeat(70_000),
    ];
    expect(await receive(payloads.map((p) => textFrame(Buffer.from(p))))).toEqual(payloads);
    // A string is encoded into the frame directly: same bytes.
    expect(await receive(payloads.map((p) => textFrame(p)))).toEqual(payloads);
    for (const p of payloads) expect(textFrame(p).equals(textFrame(Buffer.from(p)))).toBe(true);
  });
});
