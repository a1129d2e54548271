import { resolve } from 'node:path';
import type { Command } from 'commander';
import { CreateProjectDocument, ProjectsDocument } from '../../sdk/index.ts';
import { action } from '../context.ts';
import { dateTime, printList } from '../output/format.ts';

export function registerProject(program: Command): void {
  const project = program
    .command('project')
    .description('Projects: a name and the root folder of a repository');

  project
    .command('create')
    .description('Create a project')
    .requiredOption('--name <name>', 'project name (1–200 characters)')
    .requiredOption('--root <path>', 'root folder of the repository (relative paths are resolved here)')
    .addHelpText('after', '\nExample:\n  $ agentforge project create --name shop --root ~/code/shop')
    .action(
      action<{ name: string; root: string }>(async ({ sdk, output }, opts) => {
        const { createProject: p } = await sdk.request(CreateProjectDocument, {
          input: { name: opts.name, rootPath: resolve(opts.root) },
        });
        if (output.json) output.data(p);
        else output.out(`Created project ${p.name} (${p.id}) at ${p.rootPath}`);
        return 0;
      }),
    );

  project
    .command('list')
    .description('List projects')
    .action(
      action(async ({ sdk, output }) => {
        const { projects } = await sdk.request(ProjectsDocument, {});
        printList(output, projects, {
          empty: 'No projects yet. Create one with `agentforge project create`.',
          headers: ['ID', 'NAME', 'ROOT', 'CREATED'],
          row: (p) => [p.id, p.name, p.rootPath, dateTime(p.createdAt)],
        });
        return 0;
      }),
    );
}
