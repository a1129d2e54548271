import { constants } from 'node:fs';
import { type FileHandle, lchown, mkdir, open, opendir, readlink, rm, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { isInside } from '../../core/paths.ts';
import { StageError } from '../executors/types.ts';
import type { ServiceIdentity } from './identity.ts';

/**
 * The workload's working copy (docs/containment.md): once validate has found the
 * service directory inside the project root, its content is copied into the
 * workload's own directory, and install, build and start happen there. The
 * copy reads through open directory handles, one name at a time and never
 * following a symlink, so a directory swapped for a symlink after validate
 * (or during the copy) cannot bring in anything from outside; symlinks are
 * copied as symlinks, which lead nowhere from inside the sandbox.
 */

const DIRECTORY = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;
const FILE = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/** The path of an open handle, as the kernel knows it. */
const viaHandle = (handle: FileHandle, name = '') => `/proc/self/fd/${handle.fd}/${name}`;

/**
 * Copies `serviceDir` (a real path inside `rootPath`, as validate found it)
 * into `dest`, owned by `owner` when given. StageError when the directory
 * is no longer what validate found.
 */
export async function makeWorkingCopy(
  rootPath: string,
  serviceDir: string,
  dest: string,
  owner: ServiceIdentity | undefined,
): Promise<void> {
  let top: FileHandle;
  try {
    top = await open(serviceDir, DIRECTORY);
  } catch {
    throw new StageError('The service directory changed after validate: it is no longer a directory');
  }
  try {
    const real = await readlink(`/proc/self/fd/${top.fd}`);
    if (real !== serviceDir || !isInside(rootPath, real)) {
      throw new StageError('The service directory changed after validate: it now leads elsewhere');
    }
    await mkdir(dest, { mode: 0o755 });
    if (owner) await lchown(dest, owner.uid, owner.gid);
    await copyDirectory(top, dest, owner);
  } finally {
    await top.close();
  }
}

async function copyDirectory(from: FileHandle, dest: string, owner: ServiceIdentity | undefined) {
  for await (const entry of await opendir(viaHandle(from))) {
    const source = viaHandle(from, entry.name);
    const target = join(dest, entry.name);
    if (entry.isSymbolicLink()) {
      await symlink(await readlink(source), target);
      if (owner) await lchown(target, owner.uid, owner.gid);
    } else if (entry.isDirectory()) {
      const sub = await open(source, DIRECTORY).catch(() => undefined);
      if (!sub) continue; // replaced meanwhile: skipped, never followed
      try {
        await mkdir(target, { mode: ((await sub.stat()).mode & 0o777) | 0o700 });
        if (owner) await lchown(target, owner.uid, owner.gid);
        await copyDirectory(sub, target, owner);
      } finally {
        await sub.close();
      }
    } else if (entry.isFile()) {
      const file = await open(source, FILE).catch(() => undefined);
      if (!file) continue;
      try {
        const info = await file.stat();
        if (!info.isFile()) continue;
        const out = await open(target, 'wx', (info.mode & 0o777) | 0o600);
        try {
          if (owner) await out.chown(owner.uid, owner.gid);
          await copyContent(file, out);
        } finally {
          await out.close();
        }
      } finally {
        await file.close();
      }
    }
    // Sockets, fifos and devices are not part of a service's code: skipped.
  }
}

async function copyContent(from: FileHandle, to: FileHandle): Promise<void> {
  const buffer = Buffer.allocUnsafe(64 * 1024);
  for (;;) {
    const { bytesRead } = await from.read(buffer, 0, buffer.length, null);
    if (bytesRead === 0) return;
    let written = 0;
    while (written < bytesRead)
      written += (await to.write(buffer, written, bytesRead - written)).bytesWritten;
  }
}

export async function removeWorkingCopy(dest: string): Promise<void> {
  await rm(dest, { recursive: true, force: true, maxRetries: 3 });
}
