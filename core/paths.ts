import { realpath } from 'node:fs/promises';
import path from 'node:path';

/**
 * Resolves `relative` under `root` following symlinks as far as the path
 * exists. Returns the real path, `missing` when some part does not exist
 * (and everything that does stays inside), or `outside`.
 */
export async function resolveInside(root: string, relative: string): Promise<string | 'missing' | 'outside'> {
  const realRoot = await realpath(root).catch(() => root);
  const parts = relative === '.' ? [] : relative.split('/');
  let current = realRoot;
  for (let i = 0; i < parts.length; i++) {
    const next = path.join(current, parts[i]!);
    let real: string;
    try {
      real = await realpath(next);
    } catch {
      return 'missing';
    }
    if (!isInside(realRoot, real)) return 'outside';
    current = real;
  }
  return current;
}

export function isInside(root: string, candidate: string): boolean {
  const rel = path.relative(root, candidate);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}
