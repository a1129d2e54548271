import { execFile } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { SERVICE_ID_RANGE } from './identity.ts';

/** Whether bubblewrap can make the sandbox on this host, and if not, why. */
export type SandboxStatus = { ok: true; bwrap: string } | { ok: false; reason: string };

const CANDIDATES = ['/usr/bin/bwrap', '/usr/local/bin/bwrap', '/bin/bwrap'];

const executable = (file: string) =>
  access(file, constants.X_OK).then(
    () => true,
    () => false,
  );

async function findBwrap(): Promise<string | undefined> {
  for (const file of CANDIDATES) if (await executable(file)) return file;
  return undefined;
}

/**
 * Tries the sandbox's namespaces once (an unprivileged uid making its own
 * user, pid and ipc namespaces and running `true`). Cached per process:
 * the first local workload pays for it, or the runner's start when it
 * asks early.
 */
const probed = new Map<string, Promise<SandboxStatus>>();

/** `configured`: AGENTFORGE_BWRAP when set; otherwise bwrap is looked for where packages install it. */
export function probeSandbox(configured?: string): Promise<SandboxStatus> {
  const key = configured ?? '';
  let probe = probed.get(key);
  if (probe) return probe;
  probe = (async (): Promise<SandboxStatus> => {
    const bwrap = configured ?? (await findBwrap());
    if (!bwrap || !(await executable(bwrap)))
      return { ok: false, reason: 'bubblewrap (bwrap) is not installed' };
    const root = process.getuid?.() === 0;
    const args = [
      '--unshare-user',
      '--unshare-pid',
      '--unshare-ipc',
      '--disable-userns',
      '--die-with-parent',
      '--new-session',
      '--ro-bind',
      '/',
      '/',
      '--proc',
      '/proc',
      '--dev',
      '/dev',
      '--',
      'true',
    ];
    return new Promise((resolve) => {
      execFile(
        bwrap,
        args,
        {
          cwd: '/',
          env: { PATH: '/usr/bin:/bin' },
          timeout: 10_000,
          ...(root ? { uid: SERVICE_ID_RANGE.from, gid: SERVICE_ID_RANGE.from } : {}),
        },
        (error, _stdout, stderr) => {
          if (!error) return resolve({ ok: true, bwrap });
          const why = String(stderr).trim().split('\n').pop() || error.message;
          resolve({ ok: false, reason: `bubblewrap cannot make the sandbox here (${why})` });
        },
      );
    });
  })();
  probed.set(key, probe);
  return probe;
}
