import { type WorkloadFieldsFragment, WorkloadRestartDocument } from '../sdk/index.ts';
import type { CliContext } from './context.ts';

const TERMINAL = new Set(['stopped', 'failed']);

/**
 * Follows a workload and, when it ends and its deployment's restart policy
 * made a restart of it, the restart, and so on: `follow` is called for each
 * workload of the chain in turn, `onRestart` between two. The restart is
 * created in the same transaction as the end of the one before, so once a
 * workload is seen terminal, one look tells whether a restart follows.
 * Resolves with the last workload's last state.
 */
export async function followRestarts(
  ctx: CliContext,
  workloadId: string,
  follow: (id: string) => Promise<WorkloadFieldsFragment>,
  onRestart: (ended: WorkloadFieldsFragment, restart: WorkloadFieldsFragment) => void,
): Promise<WorkloadFieldsFragment> {
  let id = workloadId;
  for (;;) {
    const last = await follow(id);
    if (!TERMINAL.has(last.stage)) return last;
    const { workload } = await ctx.sdk.request(WorkloadRestartDocument, { id });
    const restart = workload?.restart;
    if (!restart) return last;
    onRestart(last, restart);
    id = restart.id;
  }
}

/** `Restarting as workload <id> (attempt N) at HH:MM:SS` */
export function restartText(restart: WorkloadFieldsFragment): string {
  const at = restart.scheduledAt ? ` at ${new Date(restart.scheduledAt).toISOString().slice(11, 19)}` : '';
  return `Restarting as workload ${restart.id} (attempt ${restart.attempt})${at}`;
}
