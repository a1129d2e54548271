import { lstatSync, readlinkSync, realpathSync } from 'node:fs';
import path from 'node:path';
import type { ServiceIdentity } from './identity.ts';

/**
 * The sandbox of a local workload's commands, as one argument list
 * (bubblewrap's options), built in one place so that every mount, namespace
 * and variable of the sandbox can be read (and tested) here:
 *
 * - own user, pid, ipc and uts namespaces, mount namespace with an empty
 *   root: the host's system directories read-only, a fresh /dev, its own
 *   /proc (it sees only its own processes), a private /tmp, the workload's
 *   working copy read-write at /workload, nothing else (not the runner's
 *   files, the project root, the data directory or other workloads);
 * - the service's uid/gid, unprivileged outside as inside: a root runner
 *   drops to it before bubblewrap starts (spawn `uid`/`gid`), so the user
 *   namespace maps that uid and not root; no nested user namespaces;
 * - `--die-with-parent` and the pid namespace: when the runner dies, so
 *   does everything inside; `--new-session`: no terminal to inject into;
 * - an environment made only of what the service is given.
 *
 * The network is the host's: a service listens on its PORT.
 */
export const SANDBOX_DIR = '/workload';
export const SANDBOX_HOME = '/tmp';

/** Directories of the host's system, mounted read-only, and the merged-/usr symlinks (lstat'ed once). */
const SYSTEM_DIRS = ['/usr', '/etc', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];

export type SystemEntry = { path: string; symlink?: string };

let systemLayout: SystemEntry[] | undefined;

export function hostSystemLayout(): SystemEntry[] {
  systemLayout ??= SYSTEM_DIRS.flatMap((dir): SystemEntry[] => {
    try {
      const info = lstatSync(dir);
      if (info.isSymbolicLink()) return [{ path: dir, symlink: readlinkSync(dir) }];
      return info.isDirectory() ? [{ path: dir }] : [];
    } catch {
      return [];
    }
  });
  return systemLayout;
}

/** The installation prefix of the node running the runner (…/bin/node → …), symlinks resolved. */
export function nodePrefix(execPath = process.execPath): string {
  return path.dirname(path.dirname(realpathSync(execPath)));
}

export interface SandboxSpec {
  identity: ServiceIdentity;
  /** True when the runner is root: it drops to the identity before bubblewrap starts. */
  dropPrivileges: boolean;
  system: SystemEntry[];
  /** The prefix node and npm live under; mounted read-only unless a system directory holds it. */
  nodePrefix: string;
  /** The service's environment, complete (nothing of the runner's is inherited). */
  env: Record<string, string>;
  /** File descriptors of the sandbox process: its options, its info, its start signal, the working copy. */
  fds: { args: number; info: number; block: number; workingCopy: number };
  command: string;
  args: string[];
}

export interface SandboxInvocation {
  /** What to spawn, and as whom (uid/gid: the identity when the runner drops privileges). */
  file: string;
  argv: string[];
  uid?: number;
  gid?: number;
  /**
   * bubblewrap's options, written NUL-separated to `fds.args`: the values
   * of the service's environment are never on a command line (where any
   * user of the host could read them in /proc).
   */
  options: string[];
}

export function sandboxInvocation(spec: SandboxSpec, bwrap = '/usr/bin/bwrap'): SandboxInvocation {
  const { identity, fds } = spec;
  const options: string[] = [
    '--unshare-user',
    '--unshare-pid',
    '--unshare-ipc',
    '--unshare-uts',
    '--unshare-cgroup-try',
    '--disable-userns',
    '--die-with-parent',
    '--new-session',
    '--hostname',
    'workload',
  ];
  // As root, the uid is set by dropping to it before bubblewrap; otherwise
  // it can only be the one seen inside.
  if (!spec.dropPrivileges) options.push('--uid', String(identity.uid), '--gid', String(identity.gid));
  for (const entry of spec.system) {
    if (entry.symlink) options.push('--symlink', entry.symlink, entry.path);
    else options.push('--ro-bind', entry.path, entry.path);
  }
  const covered = spec.system.some((e) => !e.symlink && isWithin(e.path, spec.nodePrefix));
  if (!covered) options.push('--ro-bind', spec.nodePrefix, spec.nodePrefix);
  options.push(
    '--dev',
    '/dev',
    '--proc',
    '/proc',
    '--tmpfs',
    '/tmp',
    '--bind-fd',
    String(fds.workingCopy),
    SANDBOX_DIR,
    '--chdir',
    SANDBOX_DIR,
    '--clearenv',
  );
  for (const [name, value] of Object.entries(spec.env)) options.push('--setenv', name, value);
  options.push('--info-fd', String(fds.info), '--block-fd', String(fds.block));
  return {
    file: bwrap,
    argv: ['--args', String(fds.args), '--', spec.command, ...spec.args],
    ...(spec.dropPrivileges ? { uid: identity.uid, gid: identity.gid } : {}),
    options,
  };
}

function isWithin(dir: string, candidate: string): boolean {
  const rel = path.relative(dir, candidate);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** PATH inside the sandbox: node's own bin first, then the system's. */
export function sandboxPath(prefix: string): string {
  const dirs = [path.join(prefix, 'bin'), '/usr/local/bin', '/usr/bin', '/bin'];
  return [...new Set(dirs)].join(':');
}
