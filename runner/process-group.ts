import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import type { ServiceExit } from './executors/types.ts';

/**
 * Every command and service the runner starts is the leader of its own
 * process group (`detached: true`), so one `kill(-pgid)` reaches everything
 * it forked: npm's children, a build's watchers, a service's workers.
 */
export interface GroupProcess {
  child: ChildProcessWithoutNullStreams;
  pid: number;
  /** Resolves when the leader exits. Never rejects. */
  exited: Promise<ServiceExit>;
  /**
   * Sends a signal to everything the process started, where a process
   * group does not reach it all (a sandbox: see runner/sandbox); false
   * when nothing is left. Without it, the process group is signalled.
   */
  signal?(signal: NodeJS.Signals): boolean;
}

/** Signals everything of `proc`; false when nothing of it is left. */
export function signalProcess(proc: GroupProcess, signal: NodeJS.Signals): boolean {
  return proc.signal ? proc.signal(signal) : killGroup(proc.pid, signal);
}

export class SpawnError extends Error {
  override name = 'SpawnError';
  constructor(
    readonly command: string,
    readonly code: string | undefined,
    options: { cause: unknown },
  ) {
    super(`Cannot start ${command}: ${(options.cause as Error).message}`, options);
  }
}

/** Spawns `command args` (no shell) as a new process-group leader. Rejects when it cannot start. */
export function spawnGroup(
  command: string,
  args: string[],
  options: { cwd: string; env: Record<string, string> },
): Promise<GroupProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    }) as unknown as ChildProcessWithoutNullStreams;
    const exited = new Promise<ServiceExit>((done) => {
      child.once('exit', (code, signal) => done({ code, signal }));
    });
    child.once('error', (error: NodeJS.ErrnoException) => {
      if (child.pid === undefined) reject(new SpawnError(command, error.code, { cause: error }));
    });
    child.once('spawn', () => resolve({ child, pid: child.pid!, exited }));
  });
}

/** Sends `signal` to the whole group; false when nothing of it is left. */
export function killGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

/**
 * SIGTERM to the group, SIGKILL once `timeoutMs` passed without the leader
 * exiting; then SIGKILL again for anything of the group still there (a child
 * that outlived its parent). Resolves with the leader's exit.
 */
export async function stopGroup(proc: GroupProcess, timeoutMs: number): Promise<ServiceExit> {
  let timer: NodeJS.Timeout | undefined;
  const settled = await Promise.race([
    proc.exited.then(() => true),
    Promise.resolve().then(() => {
      if (!signalProcess(proc, timeoutMs > 0 ? 'SIGTERM' : 'SIGKILL')) return proc.exited.then(() => true);
      return new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      });
    }),
  ]);
  clearTimeout(timer);
  if (!settled) signalProcess(proc, 'SIGKILL');
  const exit = await proc.exited;
  signalProcess(proc, 'SIGKILL');
  return exit;
}

/** "exit code 1" / "signal SIGKILL" for log lines and errors. */
export function describeExit(exit: ServiceExit): string {
  if (exit.outOfMemoryMb) return `killed for exceeding the ${exit.outOfMemoryMb} MB memory limit`;
  return exit.signal ? `signal ${exit.signal}` : `exit code ${exit.code}`;
}
