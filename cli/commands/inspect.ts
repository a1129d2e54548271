import type { Command } from 'commander';
import { WorkloadDocument, WorkloadLogsDocument } from '../../sdk/index.ts';
import { action } from '../context.ts';
import { notFound } from '../errors.ts';
import { dateTime, fields } from '../output/format.ts';
import { formatLogLine } from '../output/log-line.ts';
import { stageColor, workloadDuration } from '../output/workload-format.ts';

const TAIL = 20;

export function registerInspect(workload: Command): void {
  workload
    .command('inspect')
    .description(`Show a workload: stage, error, process, times and its last ${TAIL} log lines`)
    .argument('<id>', 'workload id')
    .action(
      action(async ({ sdk, output }, _opts, id) => {
        const { workload: w } = await sdk.request(WorkloadDocument, { id: id! });
        if (!w) throw notFound('Workload', id!);
        const { workload: withLogs } = await sdk.request(WorkloadLogsDocument, {
          id: w.id,
          after: Math.max(0, w.logCount - TAIL),
          first: TAIL,
        });
        const logs = withLogs?.logs ?? [];
        if (output.json) {
          output.data({ ...w, lastLogs: logs });
          return 0;
        }
        const c = output.colors;
        const rows: [string, string][] = [
          ['id', w.id],
          ['deployment', `${w.deployment.serviceName} (${w.deploymentId})`],
          ['path', w.servicePath],
          ['stage', stageColor(w.stage, c)],
        ];
        if (w.failedStage) rows.push(['failed stage', w.failedStage]);
        if (w.error) rows.push(['error', c.red(w.error)]);
        if (w.exitCode !== null) rows.push(['exit code', String(w.exitCode)]);
        rows.push(['executor', w.executor ?? '-']);
        if (w.pid !== null) rows.push(['pid', String(w.pid)]);
        if (w.containerId) rows.push(['container', w.containerId]);
        rows.push(['port', w.port === null ? '-' : String(w.port)], ['url', w.url ?? '-']);
        if (w.runnerId) rows.push(['runner', w.runnerId]);
        if (w.stopRequested) rows.push(['stop requested', 'yes']);
        rows.push(
          ['created', dateTime(w.createdAt)],
          ['started', dateTime(w.startedAt)],
          ['finished', dateTime(w.finishedAt)],
          ['duration', workloadDuration(w)],
        );
        for (const line of fields(rows)) output.out(line);
        output.out('');
        if (logs.length === 0) output.out('No log entries.');
        else {
          output.out(c.bold(`Last ${logs.length} of ${w.logCount} log lines:`));
          for (const entry of logs) output.out(formatLogLine(entry, output));
        }
        return 0;
      }),
    );
}
