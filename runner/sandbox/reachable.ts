import { chmod, stat } from 'node:fs/promises';
import path from 'node:path';
import { StageError } from '../executors/types.ts';

/**
 * bubblewrap, started as the service's uid, opens the working copy by its
 * path: every directory above it must be searchable (x) by others. The
 * work and data directories are the runner's own and get o+x (search
 * only: nothing in them becomes listable, and their files keep their
 * modes); any other directory on the way that is not searchable is
 * reported, with the fix.
 */
export async function ensureReachable(workDir: string, ownDirs: string[]): Promise<void> {
  const own = new Set(ownDirs.map((d) => path.resolve(d)));
  let dir = path.resolve(workDir);
  for (;;) {
    const info = await stat(dir);
    if ((info.mode & 0o001) === 0) {
      if (!own.has(dir)) {
        throw new StageError(
          `The sandbox cannot reach the working copies in ${workDir}: ${dir} is not searchable by other users. ` +
            'Allow it (chmod o+x) or set AGENTFORGE_WORK_DIR to a directory whose parents are',
        );
      }
      await chmod(dir, (info.mode & 0o7777) | 0o011);
    }
    const parent = path.dirname(dir);
    if (parent === dir) return;
    dir = parent;
  }
}
