import type { EntityManager } from '@mikro-orm/postgresql';
import DataLoader from 'dataloader';
import {
  type Deployment,
  DeploymentSchema,
  type Project,
  ProjectSchema,
} from '../../core/db/entities/index.ts';
import { latestWorkloads } from '../../core/sql/latest-workloads.ts';
import type { Queryable } from '../../core/sql/queryable.ts';
import type { WorkloadRow } from '../../core/sql/workload-row.ts';
import { restartsOf, workloadsById } from '../../core/sql/workloads-by-id.ts';

/**
 * Lookups that resolvers of list items make, batched: every `load` made
 * while one level of a GraphQL result is resolved becomes one query, so
 * `deployments { status currentWorkload project }` costs the same number of
 * queries for 1 deployment as for 1,000.
 *
 * Made per operation (in the context), and without a cache: a subscription
 * keeps its context for its whole life, and a cached latest workload would
 * go stale between its events. Batching alone is what removes the N+1;
 * repeated keys within one batch are looked up once.
 */
export interface Loaders {
  /** The newest workload of a deployment, null when it has none. */
  latestWorkload: DataLoader<string, WorkloadRow | null>;
  /** A deployment's project (every deployment has one: the foreign key cascades). */
  project: DataLoader<string, Project>;
  /** A workload's deployment. */
  deployment: DataLoader<string, Deployment>;
  /** A project's deployments, oldest first. */
  deploymentsOfProject: DataLoader<string, Deployment[]>;
  /** A workload by id, null when there is none (a restart's predecessor). */
  workload: DataLoader<string, WorkloadRow | null>;
  /** The restart made of a workload, null when none was. */
  restartOf: DataLoader<string, WorkloadRow | null>;
}

const OPTIONS = { cache: false } as const;

export function createLoaders(db: Queryable, em: EntityManager): Loaders {
  return {
    latestWorkload: new DataLoader(async (ids) => {
      const byDeployment = new Map(
        (await latestWorkloads(db, unique(ids))).map((row) => [row.deploymentId, row]),
      );
      return ids.map((id) => byDeployment.get(id) ?? null);
    }, OPTIONS),
    project: new DataLoader(async (ids) => {
      const found = await em.find(ProjectSchema, { id: { $in: unique(ids) } });
      return byId(ids, found, 'Project');
    }, OPTIONS),
    deployment: new DataLoader(async (ids) => {
      const found = await em.find(DeploymentSchema, { id: { $in: unique(ids) } });
      return byId(ids, found, 'Deployment');
    }, OPTIONS),
    deploymentsOfProject: new DataLoader(async (projectIds) => {
      const found = await em.find(
        DeploymentSchema,
        { projectId: { $in: unique(projectIds) } },
        { orderBy: { createdAt: 'asc', id: 'asc' } },
      );
      const byProject = new Map<string, Deployment[]>();
      for (const d of found) {
        const list = byProject.get(d.projectId);
        if (list) list.push(d);
        else byProject.set(d.projectId, [d]);
      }
      return projectIds.map((id) => byProject.get(id) ?? []);
    }, OPTIONS),
    workload: new DataLoader(async (ids) => {
      const found = new Map((await workloadsById(db, unique(ids))).map((row) => [row.id, row]));
      return ids.map((id) => found.get(id) ?? null);
    }, OPTIONS),
    restartOf: new DataLoader(async (ids) => {
      const found = new Map((await restartsOf(db, unique(ids))).map((row) => [row.restartOf!, row]));
      return ids.map((id) => found.get(id) ?? null);
    }, OPTIONS),
  };
}

function unique(keys: readonly string[]): string[] {
  return [...new Set(keys)];
}

/** Rows in the order of `ids`; a missing row is an error for that key only (masked as internal). */
function byId<T extends { id: string }>(ids: readonly string[], rows: T[], kind: string): (T | Error)[] {
  const map = new Map(rows.map((row) => [row.id, row]));
  return ids.map((id) => map.get(id) ?? new Error(`${kind} ${id} not found`));
}
