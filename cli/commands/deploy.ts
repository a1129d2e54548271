import { realpathSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import {
  CreateDeploymentDocument,
  CreateWorkloadDocument,
  type DeploymentFieldsFragment,
  ProjectDocument,
} from '../../sdk/index.ts';
import { action, type CliContext } from '../context.ts';
import { CliError, notFound } from '../errors.ts';
import { type DeploymentCreateOptions, deploymentOptions } from './deployment.ts';
import { runningSettings } from './deployment-admin.ts';
import { watchWorkload } from './watch.ts';

/**
 * `deploy <path>`: the service path as the API stores it. A relative path is
 * taken relative to the project root; an absolute one must lie inside it.
 * Normalised like the API does (`./a//b/` → `a/b`) so it matches existing
 * deployments.
 */
export function toServicePath(rootPath: string, given: string): string {
  let relative = given;
  if (path.isAbsolute(given)) {
    let real = given;
    try {
      real = realpathSync(given);
    } catch {
      // Not on this machine (or not yet created): compare the path as written.
    }
    relative = path.relative(rootPath, real);
    if (relative.startsWith('..') || path.isAbsolute(relative)) {
      throw new CliError(`${given} is outside the project root ${rootPath}`);
    }
  }
  return path.posix.normalize(relative.replaceAll('\\', '/')).replace(/\/+$/, '') || '.';
}

async function findOrCreateDeployment(
  ctx: CliContext,
  projectId: string,
  given: string,
  opts: DeploymentCreateOptions,
): Promise<{ deployment: DeploymentFieldsFragment; created: boolean }> {
  const { project } = await ctx.sdk.request(ProjectDocument, { id: projectId });
  if (!project) throw notFound('Project', projectId);
  const servicePath = toServicePath(project.rootPath, given);
  const existing = project.deployments
    .filter((d) => d.servicePath === servicePath && (!opts.name || d.serviceName === opts.name))
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt))[0];
  if (existing) return { deployment: existing, created: false };
  const { createDeployment } = await ctx.sdk.request(CreateDeploymentDocument, {
    input: {
      projectId: project.id,
      serviceName: opts.name ?? (servicePath === '.' ? project.name : path.posix.basename(servicePath)),
      servicePath,
      executor: opts.executor,
      healthCheckPath: opts.healthPath ?? null,
      env: opts.env ?? [],
      ...runningSettings(opts),
    },
  });
  return { deployment: createDeployment, created: true };
}

export function registerDeploy(program: Command): void {
  deploymentOptions(
    program
      .command('deploy')
      .description(
        'Deploy the service at <path>: finds or creates its deployment, starts a workload and follows it until it runs',
      )
      .argument('<path>', 'service folder, relative to the project root (or absolute, inside it)')
      .requiredOption('--project <id>', 'project id')
      .option('--name <name>', 'service name for a new deployment (default: the folder name)'),
  )
    .addHelpText(
      'after',
      `
Stops following once the workload is running (exit 0) or has failed (exit 1);
the service keeps running. The deployment options apply only when a new deployment is created.

Example:
  $ agentforge deploy services/api --project <id> --health-path /health`,
    )
    .action(
      action<DeploymentCreateOptions & { project: string }>(async (ctx, opts, given) => {
        const { deployment: d, created } = await findOrCreateDeployment(ctx, opts.project, given!, opts);
        const { createWorkload: w } = await ctx.sdk.request(CreateWorkloadDocument, {
          input: { deploymentId: d.id },
        });
        if (ctx.output.json) ctx.output.data({ type: 'deployment', created, ...d });
        else {
          ctx.output.out(
            `${created ? 'Created' : 'Using'} deployment ${d.serviceName} (${d.id}) for ${d.servicePath}`,
          );
          ctx.output.out(`Workload ${w.id}`);
        }
        return watchWorkload(ctx, w.id, 'running');
      }),
    );
}
