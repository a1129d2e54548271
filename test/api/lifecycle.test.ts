import { mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateDeploymentDocument,
  CreateProjectDocument,
  CreateWorkloadDocument,
  DeploymentDocument,
  ProjectsDocument,
  StopWorkloadDocument,
  WorkloadDocument,
  WorkloadLogsDocument,
  WorkloadsDocument,
  type WorkloadsQuery,
} from '../../sdk/index.ts';
import { startTestApp, type TestApp } from '../support/app.ts';

let app: TestApp;
let root: string;

beforeAll(async () => {
  app = await startTestApp({ AGENTFORGE_RUNNER: 'off' });
  root = await mkdtemp(join(tmpdir(), 'agentforge-project-'));
  await mkdir(join(root, 'services', 'api'), { recursive: true });
});
afterAll(() => app?.close());

describe('projects, deployments and workloads', () => {
  it('creates a project, a deployment and a pending workload, and reads them back', async () => {
    const { createProject: project } = await app.gql(CreateProjectDocument, {
      input: { name: ' shop ', rootPath: root },
    });
    expect(project).toMatchObject({ name: 'shop', rootPath: root });

    const { createDeployment: deployment } = await app.gql(CreateDeploymentDocument, {
      input: {
        projectId: project.id,
        serviceName: 'api',
        servicePath: './services//api/',
        healthCheckPath: '/health',
        env: [{ name: 'GREETING', value: 'hi' }],
      },
    });
    expect(deployment).toMatchObject({
      projectId: project.id,
      servicePath: 'services/api',
      executor: 'auto',
      status: 'idle',
      healthCheckPath: '/health',
      env: [{ name: 'GREETING', value: 'hi' }],
    });

    const { createWorkload: workload } = await app.gql(CreateWorkloadDocument, {
      input: { deploymentId: deployment.id },
    });
    expect(workload).toMatchObject({
      deploymentId: deployment.id,
      stage: 'pending',
      servicePath: 'services/api',
      stopRequested: false,
      logCount: 0,
      finishedAt: null,
    });

    const read = await app.gql(DeploymentDocument, { id: deployment.id });
    expect(read.deployment?.status).toBe('deploying');
    expect(read.deployment?.currentWorkload?.id).toBe(workload.id);
    expect(read.deployment?.project.id).toBe(project.id);
    expect(read.deployment?.workloads.edges.map((e) => e.node.id)).toEqual([workload.id]);

    const { projects } = await app.gql(ProjectsDocument, {});
    expect(projects.map((p) => p.id)).toContain(project.id);
  });

  it('cancels a pending workload: failed, with the reason in error and in the log', async () => {
    const { createProject: project } = await app.gql(CreateProjectDocument, {
      input: { name: 'p', rootPath: root },
    });
    const { createDeployment: d } = await app.gql(CreateDeploymentDocument, {
      input: { projectId: project.id, serviceName: 'api', servicePath: 'services/api' },
    });
    const { createWorkload: w } = await app.gql(CreateWorkloadDocument, { input: { deploymentId: d.id } });
    const { stopWorkload: stopped } = await app.gql(StopWorkloadDocument, { id: w.id });
    expect(stopped).toMatchObject({
      stage: 'failed',
      failedStage: 'pending',
      error: 'Cancelled by user during pending',
    });
    expect(stopped.finishedAt).not.toBeNull();

    const logs = await app.gql(WorkloadLogsDocument, { id: w.id });
    expect(logs.workload?.logs).toEqual([
      expect.objectContaining({
        seq: 1,
        stage: 'pending',
        level: 'error',
        message: 'Cancelled by user during pending',
      }),
    ]);
    expect(logs.workload?.logCount).toBe(1);

    const again = await app.sdk.request(StopWorkloadDocument, { id: w.id }).catch((e) => e);
    expect(again.code).toBe('INVALID_TRANSITION');
    expect(again.message).toMatch(/already failed/);

    const status = await app.gql(DeploymentDocument, { id: d.id });
    expect(status.deployment?.status).toBe('failed');
  });

  it('pages workloads newest first and filters by deployment and stage', async () => {
    const { createProject: project } = await app.gql(CreateProjectDocument, {
      input: { name: 'paging', rootPath: root },
    });
    const { createDeployment: d } = await app.gql(CreateDeploymentDocument, {
      input: { projectId: project.id, serviceName: 'api', servicePath: 'services/api' },
    });
    const created: string[] = [];
    for (let i = 0; i < 5; i++) {
      created.push(
        (await app.gql(CreateWorkloadDocument, { input: { deploymentId: d.id } })).createWorkload.id,
      );
    }
    await app.gql(StopWorkloadDocument, { id: created[0]! });

    const seen: string[] = [];
    let after: string | null | undefined = null;
    for (;;) {
      const page: WorkloadsQuery = await app.gql(WorkloadsDocument, {
        deploymentId: d.id,
        first: 2,
        after,
      });
      seen.push(...page.workloads.edges.map((e) => e.node.id));
      if (!page.workloads.pageInfo.hasNextPage) break;
      after = page.workloads.pageInfo.endCursor;
    }
    expect(seen).toEqual([...created].reverse());

    const failed = await app.gql(WorkloadsDocument, { deploymentId: d.id, stage: 'failed' });
    expect(failed.workloads.edges.map((e) => e.node.id)).toEqual([created[0]]);

    const one = await app.gql(WorkloadDocument, { id: created[1]! });
    expect(one.workload?.deployment.id).toBe(d.id);
  });
});
