import { GatewayRunnersDocument, type WorkloadFieldsFragment } from '../../sdk/index.ts';
import type { CliContext } from '../context.ts';
import { EXIT } from '../errors.ts';
import { type FollowUntil, followWorkload } from '../follow.ts';
import { followRestarts, restartText } from '../follow-restarts.ts';
import { createProgressView } from '../output/progress.ts';

export const NO_RUNNER_ALIVE =
  'No runner is alive: pending workloads will wait. Start one with `npm start` or `npm run runner`.';

/** Exit code for a followed workload's last state. */
export function exitCodeFor(workload: WorkloadFieldsFragment): number {
  return workload.stage === 'failed' ? EXIT.failed : EXIT.ok;
}

/**
 * `--follow` with stage progress: streams the workload's stages and log until
 * `until`, then returns the exit code (0 running/stopped, 1 failed).
 */
export async function watchWorkload(
  ctx: CliContext,
  workloadId: string,
  until: FollowUntil,
): Promise<number> {
  let view = createProgressView(ctx.output);
  let checkedRunners = false;
  try {
    const follow = (id: string) =>
      followWorkload({
        connect: ctx.connect,
        workloadId: id,
        until,
        onLog: (entry) => view.log(entry),
        onUpdate: (workload) => {
          view.update(workload);
          if (workload.stage === 'pending' && !checkedRunners) {
            checkedRunners = true;
            void warnWithoutRunner(ctx, (message) => view.notice(message));
          }
        },
        onRetry: (attempt, delay, error) =>
          view.notice(`connection lost (${error.message}); reconnecting in ${delay}ms (attempt ${attempt})`),
      });
    // A workload its restart policy restarts is followed on into the restart, with a view of its own.
    const last = await followRestarts(ctx, workloadId, follow, (_ended, restart) => {
      view.close();
      view = createProgressView(ctx.output);
      if (ctx.output.json) ctx.output.data({ type: 'restart', ...restart });
      else ctx.output.out(restartText(restart));
    });
    return exitCodeFor(last);
  } finally {
    view.close();
  }
}

/** The first cause of a workload stuck in pending: no runner to claim it. Says so once. */
export async function warnWithoutRunner(ctx: CliContext, notice: (message: string) => void): Promise<void> {
  try {
    const { runners } = await ctx.sdk.request(GatewayRunnersDocument, {});
    if (!runners.some((r) => r.alive)) notice(NO_RUNNER_ALIVE);
  } catch (error) {
    // Only a hint: following goes on, and its own errors are reported.
    notice(`could not check the runners: ${error instanceof Error ? error.message : String(error)}`);
  }
}
