import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { packContext } from '../../runner/executors/docker-context.ts';
import { copyFixture } from './support.ts';

/** Packing a build context (no engine needed): what is hashed is what is sent; an abort stops it. */
describe('packContext', () => {
  it('hashes exactly the bytes it hands on', async () => {
    const copy = await copyFixture('docker-hello');
    try {
      const packed = await packContext(copy.serviceDir);
      expect(Buffer.isBuffer(packed.body)).toBe(true);
      expect(packed.sha256).toBe(
        createHash('sha256')
          .update(packed.body as Buffer)
          .digest('hex'),
      );
    } finally {
      await copy.cleanup();
    }
  });

  it('rejects when aborted before it starts', async () => {
    const copy = await copyFixture('docker-hello');
    try {
      await expect(packContext(copy.serviceDir, { signal: AbortSignal.abort() })).rejects.toMatchObject({
        name: 'AbortError',
      });
    } finally {
      await copy.cleanup();
    }
  });

  it('ends the stream of a context too large to hold once aborted', async () => {
    const copy = await copyFixture('docker-hello');
    try {
      const controller = new AbortController();
      const packed = await packContext(copy.serviceDir, { limit: 1, signal: controller.signal });
      expect(packed.sha256).toBeUndefined();
      controller.abort();
      const read = async () => {
        for await (const _chunk of packed.body as Readable);
      };
      await expect(read()).rejects.toThrow();
    } finally {
      await copy.cleanup();
    }
  });
});
