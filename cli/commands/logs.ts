import type { Command } from 'commander';
import {
  type LogEntryFieldsFragment,
  type LogLevel,
  WorkloadLogsDocument,
  type WorkloadStage,
} from '../../sdk/index.ts';
import { action, type CliContext } from '../context.ts';
import { notFound } from '../errors.ts';
import { followWorkload } from '../follow.ts';
import { followRestarts, restartText } from '../follow-restarts.ts';
import { formatLogLine } from '../output/log-line.ts';
import { outcomeText } from '../output/workload-format.ts';
import { levelOption, nonNegativeInt, stageOption } from './options.ts';
import { exitCodeFor } from './watch.ts';

interface LogsOptions {
  follow?: boolean;
  after?: number;
  stage?: WorkloadStage;
  level?: LogLevel;
}

/** Entries per request when printing a stored log (the API allows up to 10000). */
const PAGE = 1000;

export function registerLogs(workload: Command): void {
  workload
    .command('logs')
    .description('Print a workload log; with --follow, stream it until the workload has ended')
    .argument('<id>', 'workload id')
    .option('-f, --follow', 'keep streaming (resumes after a dropped connection) until stopped or failed')
    .option('--after <seq>', 'only entries after this sequence number', nonNegativeInt)
    .addOption(stageOption('only entries written during this stage'))
    .addOption(levelOption())
    .addHelpText(
      'after',
      `
Lines look like "[HH:MM:SS.mmm] [stage] message"; with --json, one JSON object per line.
With --follow the exit code is 0 when the workload stopped and 1 when it failed.`,
    )
    .action(
      action<LogsOptions>(async (ctx, opts, id) =>
        opts.follow ? follow(ctx, id!, opts) : print(ctx, id!, opts),
      ),
    );
}

function printer(ctx: CliContext, opts: LogsOptions) {
  return (entry: LogEntryFieldsFragment) => {
    if (opts.stage && entry.stage !== opts.stage) return;
    if (opts.level && entry.level !== opts.level) return;
    if (ctx.output.json) ctx.output.data(entry);
    else ctx.output.out(formatLogLine(entry, ctx.output));
  };
}

async function print(ctx: CliContext, id: string, opts: LogsOptions): Promise<number> {
  const show = printer(ctx, opts);
  let after = opts.after ?? 0;
  for (;;) {
    const { workload } = await ctx.sdk.request(WorkloadLogsDocument, {
      id,
      after,
      first: PAGE,
      stage: opts.stage ?? null,
      level: opts.level ?? null,
    });
    if (!workload) throw notFound('Workload', id);
    for (const entry of workload.logs) show(entry);
    const last = workload.logs.at(-1);
    if (!last || workload.logs.length < PAGE) return 0;
    after = last.seq;
  }
}

async function follow(ctx: CliContext, id: string, opts: LogsOptions): Promise<number> {
  const show = printer(ctx, opts);
  let after = opts.after;
  const followOne = (workloadId: string) =>
    followWorkload({
      connect: ctx.connect,
      workloadId,
      after,
      until: 'terminal',
      onLog: show,
      onUpdate: () => {},
      onRetry: (attempt, delay, error) =>
        ctx.output.err(`connection lost (${error.message}); reconnecting in ${delay}ms (attempt ${attempt})`),
    });
  // Restarts made by the deployment's restart policy are followed too: their logs go on in the same stream.
  const last = await followRestarts(ctx, id, followOne, (ended, restart) => {
    after = undefined;
    ctx.output.err(`Workload ${ended.id} ${outcomeText(ended)}`);
    ctx.output.err(restartText(restart));
  });
  ctx.output.err(`Workload ${last.id} ${outcomeText(last)}`);
  return exitCodeFor(last);
}
