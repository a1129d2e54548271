import type { Command } from 'commander';
import {
  CreateWorkloadDocument,
  StopWorkloadDocument,
  type WorkloadFieldsFragment,
  type WorkloadStage,
  WorkloadsDocument,
} from '../../sdk/index.ts';
import { action } from '../context.ts';
import { dateTime, printList } from '../output/format.ts';
import { spinner } from '../output/terminal.ts';
import { workloadDuration } from '../output/workload-format.ts';
import { registerInspect } from './inspect.ts';
import { registerLogs } from './logs.ts';
import { positiveInt, stageOption } from './options.ts';
import { watchWorkload } from './watch.ts';

export function registerWorkload(program: Command): void {
  const workload = program
    .command('workload')
    .description('Workloads: attempts to run a deployment (pending → validate → build → deploy → running)');

  workload
    .command('create')
    .description('Create a workload (a new attempt to run the deployment)')
    .requiredOption('--deployment <id>', 'deployment id')
    .option('--path <path>', "service folder for this attempt (default: the deployment's)")
    .option('--follow', 'show stages and logs until the workload is running, then exit 0 (1 if it fails)')
    .action(
      action<{ deployment: string; path?: string; follow?: boolean }>(async (ctx, opts) => {
        const { createWorkload: w } = await ctx.sdk.request(CreateWorkloadDocument, {
          input: { deploymentId: opts.deployment, servicePath: opts.path ?? null },
        });
        if (!opts.follow) {
          if (ctx.output.json) ctx.output.data(w);
          else ctx.output.out(`Created workload ${w.id} (${w.stage})`);
          return 0;
        }
        if (!ctx.output.json) ctx.output.out(`Workload ${w.id}`);
        return watchWorkload(ctx, w.id, 'running');
      }),
    );

  workload
    .command('list')
    .description('List workloads, newest first')
    .option('--deployment <id>', 'only this deployment')
    .addOption(stageOption('only workloads in this stage'))
    .option('--limit <n>', 'at most this many', positiveInt, 20)
    .action(
      action<{ deployment?: string; stage?: WorkloadStage; limit: number }>(async ({ sdk, output }, opts) => {
        const { workloads } = await sdk.request(WorkloadsDocument, {
          deploymentId: opts.deployment ?? null,
          stage: opts.stage ?? null,
          first: opts.limit,
        });
        const list = workloads.edges.map((e) => e.node);
        printList(output, list, {
          empty: 'No workloads.',
          headers: ['ID', 'STAGE', 'PATH', 'CREATED', 'DURATION', 'URL / ERROR'],
          row: (w) => [
            w.id,
            w.stage,
            w.servicePath,
            dateTime(w.createdAt),
            workloadDuration(w),
            w.url ?? w.error ?? '',
          ],
        });
        return 0;
      }),
    );

  registerInspect(workload);
  registerLogs(workload);

  workload
    .command('stop')
    .description('Stop a running workload, or cancel one on its way; waits until it has ended')
    .argument('<id>', 'workload id')
    .action(
      action(async ({ sdk, output }, _opts, id) => {
        // The API answers once the workload has ended, which takes up to STOP_TIMEOUT_MS.
        const progress = spinner(output, `Stopping workload ${id}`);
        let w: WorkloadFieldsFragment;
        try {
          ({ stopWorkload: w } = await sdk.request(StopWorkloadDocument, { id: id! }));
        } finally {
          progress?.stop();
        }
        if (output.json) output.data(w);
        else if (w.stage === 'stopped') output.out(`Workload ${w.id} stopped`);
        else output.out(`Workload ${w.id} ${w.stage}${w.error ? `: ${w.error}` : ''}`);
        return 0;
      }),
    );
}
