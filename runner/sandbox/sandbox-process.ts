import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { constants } from 'node:os';
import type { Readable, Writable } from 'node:stream';
import type { ServiceExit } from '../executors/types.ts';
import { type GroupProcess, killGroup, SpawnError } from '../process-group.ts';
import type { SandboxInvocation } from './bwrap.ts';
import type { Cgroup } from './cgroup.ts';

/** The sandbox's file descriptors, as `sandboxInvocation` is told them. */
export const SANDBOX_FDS = { args: 3, info: 4, block: 5, workingCopy: 6 } as const;

/** Every process below `pid` (through /proc's children lists), deepest last. */
function descendants(pid: number): number[] {
  const found: number[] = [];
  const queue = [pid];
  while (queue.length) {
    const current = queue.shift()!;
    let tasks: string[];
    try {
      tasks = readFileSync(`/proc/${current}/task/${current}/children`, 'utf8').split(' ').filter(Boolean);
    } catch {
      continue;
    }
    for (const child of tasks) {
      found.push(Number(child));
      queue.push(Number(child));
    }
  }
  return found;
}

function cgroupPids(cgroup: Cgroup): number[] {
  try {
    const [dir] = cgroup.dirs;
    return readFileSync(`${dir}/cgroup.procs`, 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** bubblewrap reports a death by signal N of what it ran as exit code 128 + N, as shells do. */
function toExit(code: number | null, signal: NodeJS.Signals | null): ServiceExit {
  if (code !== null && code > 128 && code < 160) {
    const name = Object.entries(constants.signals).find(([, n]) => n === code - 128)?.[0];
    if (name) return { code: null, signal: name as NodeJS.Signals };
  }
  return { code, signal };
}

/**
 * Starts a sandbox (see bwrap.ts) and, before its command runs, puts its
 * first process into the workload's cgroup: bubblewrap reports that
 * process on its info fd and waits on its block fd until the runner has
 * moved it, so nothing of the workload ever runs outside the group.
 *
 * The process the runner spawned is bubblewrap's outer process (the
 * workload's pid); the service runs in a new session inside its own pid
 * namespace, so stopping signals what is inside (the cgroup, or the
 * namespace's processes), and SIGKILL to bubblewrap ends it all at once.
 */
export function spawnSandboxed(
  invocation: SandboxInvocation,
  workingCopyFd: number,
  cgroup: Cgroup | undefined,
  limitMb: number,
): Promise<GroupProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(invocation.file, invocation.argv, {
      cwd: '/',
      env: {},
      detached: true,
      ...(invocation.uid !== undefined ? { uid: invocation.uid, gid: invocation.gid } : {}),
      stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'pipe', 'pipe', workingCopyFd],
    }) as unknown as ChildProcessWithoutNullStreams;
    const [, , , argsPipe, infoPipe, blockPipe] = child.stdio as unknown as [
      null,
      Readable,
      Readable,
      Writable,
      Readable,
      Writable,
    ];
    let inner: number | undefined;
    const exited = new Promise<ServiceExit>((done) => {
      child.once('exit', async (code, signal) => {
        infoPipe.destroy();
        blockPipe.destroy();
        const exit = toExit(code, signal);
        if (cgroup && (await cgroup.outOfMemory().catch(() => false))) exit.outOfMemoryMb = limitMb;
        done(exit);
      });
    });
    const proc: GroupProcess = {
      child,
      pid: 0,
      exited,
      signal(signal) {
        if (signal === 'SIGKILL') {
          const outer = killGroup(proc.pid, 'SIGKILL');
          for (const pid of cgroup ? cgroupPids(cgroup) : []) {
            try {
              process.kill(pid, 'SIGKILL');
            } catch {}
          }
          return outer;
        }
        // The namespace's first process ignores signals it has no handler
        // for; the service and what it started get them.
        const pids = cgroup ? cgroupPids(cgroup) : inner ? [inner, ...descendants(inner)] : [];
        let any = false;
        for (const pid of pids) {
          try {
            process.kill(pid, signal);
            any = true;
          } catch {}
        }
        return any || isRunning(proc.pid);
      },
    };
    let started = false;
    const release = async (info: string) => {
      if (started) return;
      started = true;
      try {
        inner = JSON.parse(info)['child-pid'] as number;
        if (cgroup && inner) await cgroup.add(inner);
        blockPipe.end('1');
      } catch (error) {
        // The sandbox failed while being set up: its stderr says why, and its exit is the failure.
        if ((error as NodeJS.ErrnoException).code === 'ESRCH') {
          resolve(proc);
          return;
        }
        killGroup(proc.pid, 'SIGKILL');
        reject(new SpawnError(invocation.file, undefined, { cause: error }));
        return;
      }
      resolve(proc);
    };
    let info = '';
    infoPipe.setEncoding('utf8');
    infoPipe.on('data', (chunk: string) => {
      info += chunk;
      try {
        JSON.parse(info);
      } catch {
        return;
      }
      void release(info);
    });
    infoPipe.on('error', () => {});
    blockPipe.on('error', () => {});
    argsPipe.on('error', () => {});
    child.once('error', (error: NodeJS.ErrnoException) => {
      if (child.pid === undefined) reject(new SpawnError(invocation.file, error.code, { cause: error }));
    });
    child.once('spawn', () => {
      proc.pid = child.pid!;
      argsPipe.end(invocation.options.map((o) => `${o}\0`).join(''));
    });
    // bubblewrap failed before its command (a mount it could not make…):
    // its stderr says why, and the exit is the command's failure.
    child.once('exit', () => {
      if (!started && child.pid !== undefined) {
        started = true;
        resolve(proc);
      }
    });
  });
}
