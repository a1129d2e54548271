import { type Command, Option } from 'commander';
import {
  DeleteDeploymentDocument,
  type Executor,
  type RestartPolicy,
  UpdateDeploymentDocument,
  type UpdateDeploymentInput,
} from '../../sdk/index.ts';
import { action } from '../context.ts';
import { EXECUTORS, envPair, nonNegativeInt, positiveInt, RESTART_POLICIES } from './options.ts';

/** `deployment update` and `deployment delete`, and the running-stage options. */

export interface RunningOptions {
  healthInterval?: number;
  healthTimeout?: number;
  healthThreshold?: number;
  restart?: RestartPolicy;
  maxRestarts?: number;
}

/** Health check and restart options (create, deploy, update): left out, the API's default or the stored value. */
export function runningOptions(command: Command): Command {
  return command
    .option(
      '--health-interval <ms>',
      'time between health checks while running (0: none; default 10000)',
      nonNegativeInt,
    )
    .option('--health-timeout <ms>', 'how long one health check may take (default 2000)', positiveInt)
    .option(
      '--health-threshold <n>',
      'failed health checks in a row that fail the workload (default 3)',
      positiveInt,
    )
    .addOption(new Option('--restart <policy>', 'restart policy (default never)').choices(RESTART_POLICIES))
    .option('--max-restarts <n>', 'restarts in a row the policy allows (default 5)', nonNegativeInt);
}

/** The options given, as input fields (the others left out). */
export function runningSettings(
  opts: RunningOptions,
): Pick<
  UpdateDeploymentInput,
  | 'healthCheckIntervalMs'
  | 'healthCheckTimeoutMs'
  | 'healthCheckFailureThreshold'
  | 'restartPolicy'
  | 'maxRestarts'
> {
  return {
    ...(opts.healthInterval !== undefined && { healthCheckIntervalMs: opts.healthInterval }),
    ...(opts.healthTimeout !== undefined && { healthCheckTimeoutMs: opts.healthTimeout }),
    ...(opts.healthThreshold !== undefined && { healthCheckFailureThreshold: opts.healthThreshold }),
    ...(opts.restart !== undefined && { restartPolicy: opts.restart }),
    ...(opts.maxRestarts !== undefined && { maxRestarts: opts.maxRestarts }),
  };
}

interface UpdateOptions extends RunningOptions {
  name?: string;
  path?: string;
  executor?: Executor;
  /** commander: `--no-health-path` makes it false; left out, undefined. */
  healthPath?: string | false;
  env?: { name: string; value: string }[] | false;
}

export function registerDeploymentAdmin(deployment: Command): void {
  runningOptions(
    deployment
      .command('update')
      .description(
        "Change a deployment's settings; what is not given keeps its value (the next workload uses them)",
      )
      .argument('<id>', 'deployment id')
      .option('--name <name>', 'service name')
      .option('--path <path>', 'service folder, relative to the project root')
      .addOption(new Option('--executor <executor>', 'where the service runs').choices(EXECUTORS))
      .option('--health-path <path>', 'HTTP path that answers 2xx when healthy, e.g. /health')
      .option('--no-health-path', 'check that the port accepts TCP instead of an HTTP path')
      .option('--env <NAME=VALUE>', 'replaces the whole env (repeatable)', envPair)
      .option('--no-env', 'removes every environment variable'),
  )
    .addHelpText(
      'after',
      '\nExample:\n  $ agentforge deployment update <id> --restart on_failure --max-restarts 3 --health-interval 5000',
    )
    .action(
      action<
        UpdateOptions & { healthPath?: string | false; env?: { name: string; value: string }[] | false }
      >(async ({ sdk, output }, opts, id) => {
        const input: UpdateDeploymentInput = {
          ...(opts.name !== undefined && { serviceName: opts.name }),
          ...(opts.path !== undefined && { servicePath: opts.path }),
          ...(opts.executor !== undefined && { executor: opts.executor }),
          // commander: --no-health-path sets false; absent leaves it undefined.
          ...(opts.healthPath === false ? { healthCheckPath: null } : {}),
          ...(typeof opts.healthPath === 'string' && { healthCheckPath: opts.healthPath }),
          ...(opts.env === false ? { env: [] } : {}),
          ...(Array.isArray(opts.env) && { env: opts.env }),
          ...runningSettings(opts),
        };
        const { updateDeployment: d } = await sdk.request(UpdateDeploymentDocument, { id: id!, input });
        if (output.json) output.data(d);
        else
          output.out(
            `Updated deployment ${d.serviceName} (${d.id}): health every ${d.healthCheckIntervalMs} ms` +
              ` (timeout ${d.healthCheckTimeoutMs} ms, ${d.healthCheckFailureThreshold} in a row),` +
              ` restart ${d.restartPolicy} (max ${d.maxRestarts})`,
          );
        return 0;
      }),
    );

  deployment
    .command('delete')
    .description(
      'Delete a deployment with its workloads and logs (refused while one of its workloads is live)',
    )
    .argument('<id>', 'deployment id')
    .action(
      action(async ({ sdk, output }, _opts, id) => {
        await sdk.request(DeleteDeploymentDocument, { id: id! });
        if (output.json) output.data({ id, deleted: true });
        else output.out(`Deleted deployment ${id}`);
        return 0;
      }),
    );
}
