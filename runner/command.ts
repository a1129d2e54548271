import type { StageContext } from './executors/types.ts';
import { outOfMemoryMessage, StageError } from './executors/types.ts';
import { describeExit, type GroupProcess, SpawnError, signalProcess } from './process-group.ts';

/** The workload was cancelled while a command ran; the stage code turns this into the cancel message. */
export class CancelledError extends Error {
  override name = 'CancelledError';
}

export function throwIfCancelled(signal: AbortSignal): void {
  if (signal.aborted) throw new CancelledError('Cancelled');
}

/**
 * Runs one build-time command (started by `launch`: in the workload's
 * sandbox, see runner/sandbox) with every output line a log entry (stdout
 * info, stderr warn). On cancel everything it started is killed; once the
 * command is done anything it left running is killed too. Rejects with
 * StageError on failure.
 */
export async function runCommand(
  ctx: StageContext,
  launch: () => Promise<GroupProcess>,
  command: string,
  display: string,
): Promise<void> {
  throwIfCancelled(ctx.signal);
  let proc: GroupProcess;
  try {
    proc = await launch();
  } catch (error) {
    if (error instanceof SpawnError && error.code === 'ENOENT') {
      throw new StageError(`${command} is not installed on this runner (needed for: ${display})`);
    }
    throw error;
  }
  const onAbort = () => signalProcess(proc, 'SIGKILL');
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  // A cancel that came while the process was being started (a sandbox takes a while) has fired already.
  if (ctx.signal.aborted) onAbort();
  const output = Promise.all([
    ctx.log.pipe(proc.child.stdout, ctx.stage, 'info'),
    ctx.log.pipe(proc.child.stderr, ctx.stage, 'warn'),
  ]);
  try {
    const exit = await proc.exited;
    signalProcess(proc, 'SIGKILL');
    await output;
    throwIfCancelled(ctx.signal);
    if (exit.outOfMemoryMb) throw new StageError(`${outOfMemoryMessage(exit.outOfMemoryMb)} (${display})`);
    if (exit.code !== 0) throw new StageError(`${display} failed with ${describeExit(exit)}`);
  } finally {
    ctx.signal.removeEventListener('abort', onAbort);
  }
}
