import type { Command } from 'commander';
import { CreateDeploymentDocument, DeploymentsDocument, type Executor } from '../../sdk/index.ts';
import { action } from '../context.ts';
import { printList } from '../output/format.ts';
import {
  type RunningOptions,
  registerDeploymentAdmin,
  runningOptions,
  runningSettings,
} from './deployment-admin.ts';
import { envPair, executorOption } from './options.ts';

export interface DeploymentCreateOptions extends RunningOptions {
  name?: string;
  executor: Executor;
  healthPath?: string;
  env?: { name: string; value: string }[];
}

/** The options `deployment create` and `deploy` share. */
export function deploymentOptions(command: Command): Command {
  return runningOptions(
    command
      .addOption(executorOption())
      .option('--health-path <path>', 'HTTP path that answers 2xx once the service is ready, e.g. /health')
      .option('--env <NAME=VALUE>', 'environment variable for the service (repeatable)', envPair),
  );
}

export function registerDeployment(program: Command): void {
  const deployment = program
    .command('deployment')
    .description('Deployments: a service (a folder of a project) that can be deployed');

  deploymentOptions(
    deployment
      .command('create')
      .description('Create a deployment')
      .requiredOption('--project <id>', 'project id')
      .requiredOption('--name <name>', 'service name')
      .requiredOption('--path <path>', 'service folder, relative to the project root'),
  )
    .addHelpText(
      'after',
      '\nExample:\n  $ agentforge deployment create --project <id> --name api --path services/api --env GREETING=hi',
    )
    .action(
      action<DeploymentCreateOptions & { project: string; path: string; name: string }>(
        async ({ sdk, output }, opts) => {
          const { createDeployment: d } = await sdk.request(CreateDeploymentDocument, {
            input: {
              projectId: opts.project,
              serviceName: opts.name,
              servicePath: opts.path,
              executor: opts.executor,
              healthCheckPath: opts.healthPath ?? null,
              env: opts.env ?? [],
              ...runningSettings(opts),
            },
          });
          if (output.json) output.data(d);
          else
            output.out(
              `Created deployment ${d.serviceName} (${d.id}): ${d.servicePath}, executor ${d.executor}`,
            );
          return 0;
        },
      ),
    );

  registerDeploymentAdmin(deployment);

  deployment
    .command('list')
    .description('List deployments with their status and current workload')
    .option('--project <id>', 'only this project')
    .action(
      action<{ project?: string }>(async ({ sdk, output }, opts) => {
        const { deployments } = await sdk.request(DeploymentsDocument, { projectId: opts.project ?? null });
        printList(output, deployments, {
          empty: 'No deployments.',
          headers: ['ID', 'NAME', 'PATH', 'STATUS', 'EXECUTOR', 'WORKLOAD'],
          row: (d) => [
            d.id,
            d.serviceName,
            d.servicePath,
            d.status,
            d.executor,
            d.currentWorkload ? `${d.currentWorkload.id} ${d.currentWorkload.stage}` : '-',
          ],
        });
        return 0;
      }),
    );
}
