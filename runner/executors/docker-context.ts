import { lstatSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative, sep } from 'node:path';
import type { Readable } from 'node:stream';
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
