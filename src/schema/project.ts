import { type Deployment, type Project, ProjectSchema } from '../../core/db/entities/index.ts';
import { parseId, parseName } from '../validation/input.ts';
import { parseRootPath } from '../validation/paths.ts';
import { builder } from './builder.ts';
import { DeploymentRef, ProjectRef } from './refs.ts';

ProjectRef.implement({
  description: 'A repository on disk whose services can be deployed.',
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    rootPath: t.exposeString('rootPath', {
      description: 'Absolute path of the project root (symlinks resolved).',
    }),
    deployments: t.field({
      type: [DeploymentRef],
      resolve: (project, _args, { loaders }): Promise<Deployment[]> =>
        loaders.deploymentsOfProject.load(project.id),
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});

const CreateProjectInput = builder.inputType('CreateProjectInput', {
  fields: (t) => ({
    name: t.string({ required: true }),
    rootPath: t.string({ required: true, description: 'An absolute path to an existing directory.' }),
  }),
});

builder.queryFields((t) => ({
  projects: t.field({
    type: [ProjectRef],
    resolve: (_root, _args, { em }) =>
      em.find(ProjectSchema, {}, { orderBy: { createdAt: 'asc', id: 'asc' } }),
  }),
  project: t.field({
    type: ProjectRef,
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, { em }) => em.findOne(ProjectSchema, { id: parseId(args.id) }),
  }),
}));

builder.mutationFields((t) => ({
  createProject: t.field({
    type: ProjectRef,
    args: { input: t.arg({ type: CreateProjectInput, required: true }) },
    resolve: async (_root, { input }, { em, config }) => {
      const name = parseName(input.name, 'name');
      const rootPath = await parseRootPath(input.rootPath, config.projectsRoots);
      const project = em.create(ProjectSchema, { name, rootPath } as Project);
      await em.flush();
      return project;
    },
  }),
}));
