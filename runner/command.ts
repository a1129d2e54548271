import type { StageContext } from './executors/types.ts';
import { StageError } from './executors/types.ts';
import { describeExit, killGroup, SpawnError, spawnGroup } from './process-group.ts';
import { serviceEnv } from './service-env.ts';

/** The workload was cancelled while a command ran; the stage code turns this into the cancel message. */
export class CancelledError extends Error {
  override name = 'CancelledError';
}

export function throwIfCancelled(signal: AbortSignal): void {
  if (signal.aborted) throw new CancelledError('Cancelled');
}

/**
 * Runs one build-time command in the service directory as its own process
 * group, every output line a log entry (stdout info, stderr warn). On cancel
 * the whole group is killed; once the command is done anything it left
 * running in its group is killed too. Rejects with StageError on failure.
 */
export async function runCommand(
  ctx: StageContext,
  command: string,
  args: string[],
  display = [command, ...args].join(' '),
): Promise<void> {
  throwIfCancelled(ctx.signal);
  let proc: Awaited<ReturnType<typeof spawnGroup>>;
  try {
    proc = await spawnGroup(command, args, {
      cwd: ctx.serviceDir,
      env: serviceEnv(ctx.baseEnv, ctx.env, { CI: 'true' }),
    });
  } catch (error) {
    if (error instanceof SpawnError && error.code === 'ENOENT') {
      throw new StageError(`${command} is not installed on this runner (needed for: ${display})`);
    }
    throw error;
  }
  const onAbort = () => killGroup(proc.pid, 'SIGKILL');
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  const output = Promise.all([
    ctx.log.pipe(proc.child.stdout, ctx.stage, 'info'),
    ctx.log.pipe(proc.child.stderr, ctx.stage, 'warn'),
  ]);
  try {
    const exit = await proc.exited;
    killGroup(proc.pid, 'SIGKILL');
    await output;
    throwIfCancelled(ctx.signal);
    if (exit.code !== 0) throw new StageError(`${display} failed with ${describeExit(exit)}`);
  } finally {
    ctx.signal.removeEventListener('abort', onAbort);
  }
}
