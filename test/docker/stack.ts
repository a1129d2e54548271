import { cp, mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type Docker from 'dockerode';
import { afterAll, beforeAll } from 'vitest';
import { dockerClient } from '../../runner/executors/docker-engine.ts';
import { Runner } from '../../runner/runner.ts';
import { baseServiceEnv } from '../../runner/service-env.ts';
import {
  CreateDeploymentDocument,
  CreateProjectDocument,
  CreateWorkloadDocument,
  type Executor,
  WorkloadDocument,
  WorkloadLogsDocument,
  type WorkloadQuery,
} from '../../sdk/index.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { dockerEngine } from './engine.ts';
import { removeImageTags } from './support.ts';

const fixtures = fileURLToPath(new URL('../fixtures/', import.meta.url));

export type WorkloadState = NonNullable<WorkloadQuery['workload']>;

/** A WORKLOAD_PORT_RANGE of 50 ports in a random block of 20000-29999, so concurrent test files don't collide. */
export function randomPortRange(): string {
  const from = 20_000 + Math.floor(Math.random() * 199) * 50;
  return `${from}-${from + 49}`;
}

export interface Stack {
  app: TestApp;
  runner: Runner;
  rootPath: string;
  projectId: string;
  /** Ids of the deployments created so far (their images are agentforge/<id>:…). */
  deploymentIds: string[];
  /** Creates a deployment of `servicePath` (under rootPath) and one workload of it. */
  deploy(servicePath: string, executor: Executor, env?: { name: string; value: string }[]): Promise<string>;
  workload(id: string): Promise<WorkloadState>;
  /** Polls until the workload reaches one of `stages` (bounded; the last state is returned either way). */
  waitFor(id: string, stages: string[], ms?: number): Promise<WorkloadState>;
  logs(id: string): Promise<{ stage: string; level: string; message: string }[]>;
  close(): Promise<void>;
}

/**
 * The API on port 0 and one runner over the same fresh database, with the
 * docker fixtures copied into a temporary project root (builds must not
 * write into the repository).
 */
export async function startStack(env: Record<string, string>, fixtureNames: string[]): Promise<Stack> {
  const rootPath = await realpath(await mkdtemp(join(tmpdir(), 'agentforge-docker-e2e-')));
  for (const name of fixtureNames) await cp(join(fixtures, name), join(rootPath, name), { recursive: true });
  const app = await startTestApp({ WORKLOAD_PORT_RANGE: randomPortRange(), ...env });
  const runner = new Runner({
    config: app.config,
    databaseUrl: app.db.url,
    baseEnv: baseServiceEnv(process.env),
    pollMs: 200,
  });
  await runner.start();
  const { createProject } = await app.gql(CreateProjectDocument, { input: { name: 'docker', rootPath } });

  const deploymentIds: string[] = [];
  const workload = async (id: string) => {
    const { workload } = await app.gql(WorkloadDocument, { id });
    if (!workload) throw new Error(`workload ${id} not found`);
    return workload;
  };
  return {
    app,
    runner,
    rootPath,
    projectId: createProject.id,
    deploymentIds,
    async deploy(servicePath, executor, deploymentEnv = []) {
      const { createDeployment } = await app.gql(CreateDeploymentDocument, {
        input: {
          projectId: createProject.id,
          serviceName: servicePath,
          servicePath,
          executor,
          env: deploymentEnv,
        },
      });
      deploymentIds.push(createDeployment.id);
      const { createWorkload } = await app.gql(CreateWorkloadDocument, {
        input: { deploymentId: createDeployment.id },
      });
      return createWorkload.id;
    },
    workload,
    async waitFor(id, stages, ms = 30_000) {
      const until = Date.now() + ms;
      let state = await workload(id);
      while (!stages.includes(state.stage) && Date.now() < until) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        state = await workload(id);
      }
      return state;
    },
    async logs(id) {
      const { workload } = await app.gql(WorkloadLogsDocument, { id, first: 10_000 });
      return (workload?.logs ?? []).map(({ stage, level, message }) => ({ stage, level, message }));
    },
    async close() {
      await runner.stop();
      await app.close();
      await rm(rootPath, { recursive: true, force: true });
    },
  };
}

/** A Stack for the tests of a describe block (see `stackSuite`). */
export interface StackSuite {
  /** Started in beforeAll. */
  stack: Stack;
  /** A client of the engine under test (set in beforeAll). */
  docker: Docker;
  containerExists(id: string): Promise<boolean>;
}

/**
 * Registers, in the calling describe, a Stack with the engine's settings and
 * `env`: started before its tests, closed after them, and the images of its
 * deployments removed.
 */
export function stackSuite(env: Record<string, string>, fixtureNames: string[]): StackSuite {
  const suite = {
    containerExists: async (id: string) =>
      (await suite.docker.listContainers({ all: true, filters: { id: [id] } })).length > 0,
  } as StackSuite;
  beforeAll(async () => {
    suite.docker = dockerClient(dockerEngine.config);
    suite.stack = await startStack({ ...dockerEngine.env, ...env }, fixtureNames);
  });
  afterAll(async () => {
    await suite.stack?.close();
    for (const deploymentId of suite.stack?.deploymentIds ?? []) {
      await removeImageTags(suite.docker, `agentforge/${deploymentId}`);
    }
  });
  return suite;
}
