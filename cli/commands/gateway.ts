import type { Command } from 'commander';
import {
  GatewayRunnersDocument,
  type GatewayRunnersQuery,
  RestartRunnersDocument,
  WorkloadsDocument,
} from '../../sdk/index.ts';
import { action } from '../context.ts';
import { EXIT } from '../errors.ts';
import { dateTime, duration, elapsed, since, table } from '../output/format.ts';
import { spinner } from '../output/terminal.ts';
import { NO_RUNNER_ALIVE } from './watch.ts';

type RunnerRow = GatewayRunnersQuery['runners'][number];

/** Runners whose last heartbeat is older than this are hidden unless --all. */
const RECENT_MS = 60 * 60 * 1000;
/** Pending workloads counted by `gateway status` (shown as N+ beyond). */
const PENDING_COUNT_LIMIT = 100;

const confirmed = (r: RunnerRow) =>
  r.restartRequestedAt !== null &&
  r.restartedAt !== null &&
  new Date(r.restartedAt).getTime() >= new Date(r.restartRequestedAt).getTime();

const runnerName = (r: RunnerRow) => `${r.hostname}:${r.pid} (${r.id})`;

export function registerGateway(program: Command): void {
  const gateway = program.command('gateway').description('The runners that claim and run workloads');

  gateway
    .command('status')
    .description('Show the runners: alive, heartbeat age, active workloads, concurrency')
    .option('--all', 'also runners not heard from for more than an hour')
    .action(
      action<{ all?: boolean }>(async ({ sdk, output }, opts) => {
        const [{ runners }, { workloads: pending }] = await Promise.all([
          sdk.request(GatewayRunnersDocument, {}),
          sdk.request(WorkloadsDocument, { stage: 'pending', first: PENDING_COUNT_LIMIT }),
        ]);
        const alive = runners.filter((r) => r.alive);
        const pendingCount = pending.edges.length;
        if (output.json) {
          output.data({ runners, alive: alive.length, pendingWorkloads: pendingCount });
          return 0;
        }
        const shown = opts.all
          ? runners
          : runners.filter((r) => r.alive || elapsed(r.lastHeartbeatAt) < RECENT_MS);
        const c = output.colors;
        if (shown.length > 0) {
          for (const line of table(
            ['ID', 'HOST', 'PID', 'ALIVE', 'HEARTBEAT', 'ACTIVE', 'CONCURRENCY', 'STARTED'],
            shown.map((r) => [
              r.id,
              r.hostname,
              String(r.pid),
              r.alive ? 'yes' : r.stoppedAt ? 'no (stopped)' : 'no',
              since(r.lastHeartbeatAt),
              String(r.activeWorkloads),
              String(r.concurrency),
              dateTime(r.startedAt),
            ]),
          ))
            output.out(line);
          output.out('');
        }
        const pendingText = `${pendingCount}${pendingCount === PENDING_COUNT_LIMIT ? '+' : ''} pending workload${pendingCount === 1 ? '' : 's'}`;
        if (alive.length === 0) {
          output.out(c.yellow(NO_RUNNER_ALIVE));
          output.out(pendingText);
        } else {
          const active = alive.reduce((n, r) => n + r.activeWorkloads, 0);
          const capacity = alive.reduce((n, r) => n + r.concurrency, 0);
          output.out(
            `${alive.length} runner${alive.length === 1 ? '' : 's'} alive, ${active} active workload${active === 1 ? '' : 's'}, concurrency ${capacity}, ${pendingText}`,
          );
        }
        return 0;
      }),
    );

  gateway
    .command('restart')
    .description(
      'Ask live runners to restart their claim loop and database connections; the services they host keep running',
    )
    .option('--runner <id...>', 'only these runners (default: every live runner)')
    .addHelpText('after', "\nExits 1 when a runner did not confirm its restart within the API's wait (10 s).")
    .action(
      action<{ runner?: string[] }>(async ({ sdk, output }, opts) => {
        const progress = spinner(output, 'Restarting runners');
        let restarted: RunnerRow[];
        try {
          ({ restartRunners: restarted } = await sdk.request(RestartRunnersDocument, {
            ids: opts.runner ?? null,
          }));
        } finally {
          progress?.stop();
        }
        const failed = restarted.filter((r) => !confirmed(r));
        if (output.json) output.data(restarted.map((r) => ({ ...r, restartConfirmed: confirmed(r) })));
        else if (restarted.length === 0) output.out(`Nothing to restart. ${NO_RUNNER_ALIVE}`);
        else {
          const c = output.colors;
          for (const r of restarted) {
            if (confirmed(r)) {
              const took = duration(elapsed(r.restartRequestedAt!, r.restartedAt));
              output.out(`${c.green('✓')} ${runnerName(r)} restarted in ${took}`);
            } else output.out(`${c.red('✗')} ${runnerName(r)} did not confirm its restart`);
          }
        }
        return failed.length > 0 ? EXIT.failed : EXIT.ok;
      }),
    );
}
