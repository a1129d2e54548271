import { createHash } from 'node:crypto';
import { lstatSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative, sep } from 'node:path';
import { Readable } from 'node:stream';
import tar from 'tar-fs';

// A CommonJS module whose typings declare an ES default export: load it as
// CommonJS so that the factory is what we call, under tsx and vitest alike.
const dockerignore = createRequire(import.meta.url)(
  '@balena/dockerignore',
) as typeof import('@balena/dockerignore').default;

/**
 * The build context of a service directory as a tar stream, without what its
 * `.dockerignore` excludes (the same matcher as `docker build`). The
 * Dockerfile and .dockerignore are always sent, as the docker CLI does.
 *
 * An excluded directory is not descended into, unless the file has exception
 * rules (`!pattern`): then any file below it might be re-included, so every
 * path is looked at and only files are dropped.
 */
export function buildContext(serviceDir: string): Readable {
  const rules = readIgnoreRules(serviceDir);
  if (!rules) return tar.pack(serviceDir);
  const keep = dockerignore({ ignorecase: false }).add(rules).createFilter();
  const hasExceptions = rules.split('\n').some((line) => line.trim().startsWith('!'));
  return tar.pack(serviceDir, {
    ignore(name) {
      const path = relative(serviceDir, name).split(sep).join('/');
      if (path === 'Dockerfile' || path === '.dockerignore' || keep(path)) return false;
      return !(hasExceptions && lstatSync(name).isDirectory());
    },
  });
}

function readIgnoreRules(serviceDir: string): string | undefined {
  try {
    return readFileSync(join(serviceDir, '.dockerignore'), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Contexts up to this size are held in memory and hashed before the build is decided. */
export const HASHED_CONTEXT_LIMIT = 32 * 1024 * 1024;

export interface PackedContext {
  /** sha256 of exactly the bytes sent; undefined when the context was too large to hold. */
  sha256?: string;
  /** The tar to send: the bytes hashed, or (too large) a stream of the whole context. */
  body: Buffer | Readable;
}

/**
 * Packs the build context once, hashing it as it goes. The tar is kept in
 * memory so that what a later build sends is exactly what was hashed: the
 * image can then be labelled with the hash and found again by it. Beyond
 * `limit` bytes nothing more is held: the rest streams straight to the
 * build, which then has no hash (and is never reused).
 *
 * Aborting `signal` destroys the tar stream: the packing rejects, and the
 * file being read is closed, also after a large context's stream was
 * handed on (and is never read).
 */
export async function packContext(
  serviceDir: string,
  options: { limit?: number; signal?: AbortSignal } = {},
): Promise<PackedContext> {
  const { limit = HASHED_CONTEXT_LIMIT, signal } = options;
  signal?.throwIfAborted();
  const hash = createHash('sha256');
  const chunks: Buffer[] = [];
  let size = 0;
  const tarStream = buildContext(serviceDir);
  const abort = () => tarStream.destroy(signal?.reason);
  signal?.addEventListener('abort', abort, { once: true });
  const forget = () => signal?.removeEventListener('abort', abort);
  const iterator = tarStream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  try {
    for (;;) {
      const next = await iterator.next();
      if (next.done) {
        forget();
        return { sha256: hash.digest('hex'), body: Buffer.concat(chunks, size) };
      }
      chunks.push(next.value);
      size += next.value.length;
      if (size > limit) break;
      hash.update(next.value);
    }
  } catch (error) {
    forget();
    throw error;
  }
  async function* everything(): AsyncGenerator<Buffer> {
    try {
      yield* chunks;
      for (;;) {
        const next = await iterator.next();
        if (next.done) return;
        yield next.value;
      }
    } finally {
      forget();
    }
  }
  return { body: Readable.from(everything(), { objectMode: false }) };
}
