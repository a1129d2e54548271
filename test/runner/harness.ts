import { existsSync, readFileSync } from 'node:fs';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../core/config.ts';
import type { Logger } from '../../core/logger.ts';
import type { ExecutorRegistry } from '../../runner/executors/index.ts';
import { Runner } from '../../runner/runner.ts';
import { baseServiceEnv } from '../../runner/service-env.ts';
import {
  CreateDeploymentDocument,
  type CreateDeploymentInput,
  CreateProjectDocument,
  CreateWorkloadDocument,
  WorkloadDocument,
  type WorkloadFieldsFragment,
  WorkloadLogsDocument,
} from '../../sdk/index.ts';
import { startTestApp, type TestApp } from '../support/app.ts';

export const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));

/** A distinct block of 100 ports inside 20000-29999 for one test file. */
export function portBlock(): string {
  const from = 20000 + Math.floor(Math.random() * 99) * 100;
  return `${from}-${from + 99}`;
}

export interface RunnerEnv {
  WORKLOAD_PORT_RANGE: string;
  [name: string]: string;
}

/** An API (no runner in it) plus a project root holding copies of the named fixtures. */
export interface Harness {
  app: TestApp;
  root: string;
  env: RunnerEnv;
  runners: Runner[];
  startRunner(
    overrides?: Record<string, string>,
    executors?: ExecutorRegistry,
    logger?: Logger,
  ): Promise<Runner>;
  deploy(servicePath: string, options?: DeployOptions): Promise<string>;
  createWorkload(deploymentId: string): Promise<WorkloadFieldsFragment>;
  close(): Promise<void>;
}

/** CreateDeploymentInput without what the harness fills in. */
export type DeployOptions = Omit<CreateDeploymentInput, 'projectId' | 'serviceName' | 'servicePath'>;

export async function startHarness(fixtures: string[], env: RunnerEnv): Promise<Harness> {
  const app = await startTestApp({ AGENTFORGE_RUNNER: 'off', ...env });
  const root = await mkdtemp(join(tmpdir(), 'agentforge-runner-'));
  for (const name of fixtures) await cp(join(FIXTURES, name), join(root, name), { recursive: true });
  const { createProject } = await app.gql(CreateProjectDocument, {
    input: { name: 'runner-tests', rootPath: root },
  });
  const runners: Runner[] = [];
  return {
    app,
    root,
    env,
    runners,
    async startRunner(overrides = {}, executors?: ExecutorRegistry, logger?: Logger) {
      const config = loadConfig({ HOST: '127.0.0.1', ...env, ...overrides });
      const runner = new Runner({
        config,
        databaseUrl: app.db.url,
        baseEnv: baseServiceEnv(process.env),
        pollMs: 200,
        heartbeatMs: 500,
        ...(executors ? { executors } : {}),
        ...(logger ? { logger } : {}),
      });
      runners.push(runner);
      await runner.start();
      return runner;
    },
    async deploy(servicePath, options = {}) {
      const { createDeployment } = await app.gql(CreateDeploymentDocument, {
        input: {
          projectId: createProject.id,
          serviceName: servicePath,
          servicePath,
          executor: 'local',
          ...options,
        },
      });
      return createDeployment.id;
    },
    async createWorkload(deploymentId) {
      const { createWorkload } = await app.gql(CreateWorkloadDocument, { input: { deploymentId } });
      return createWorkload;
    },
    async close() {
      for (const runner of runners) await runner.stop();
      await app.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}

/**
 * Re-reads the workload until `done` holds. The bound only keeps a broken
 * run from hanging; it asserts nothing about speed.
 */
export async function waitFor(
  app: TestApp,
  id: string,
  done: (w: WorkloadFieldsFragment) => boolean,
  boundMs = 45_000,
): Promise<WorkloadFieldsFragment> {
  const deadline = Date.now() + boundMs;
  for (;;) {
    const { workload } = await app.gql(WorkloadDocument, { id });
    if (!workload) throw new Error(`Workload ${id} is gone`);
    if (done(workload)) return workload;
    if (Date.now() > deadline) {
      throw new Error(
        `Workload ${id} still ${workload.stage} after ${boundMs} ms: ${JSON.stringify(workload)}`,
      );
    }
    await sleep(50);
  }
}

export const terminal = (w: WorkloadFieldsFragment) => w.stage === 'stopped' || w.stage === 'failed';

export async function logsOf(app: TestApp, id: string) {
  const { workload } = await app.gql(WorkloadLogsDocument, { id, first: 10000 });
  return workload?.logs ?? [];
}

/** True while `pid` is a live process (a zombie waiting to be reaped counts as gone). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Waits (bounded) until the pid is gone; returns whether it is. */
export async function gone(pid: number, boundMs = 5_000): Promise<boolean> {
  const deadline = Date.now() + boundMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) return false;
    await sleep(20);
  }
  return true;
}

/**
 * Every process below `pid` on this host (through /proc's children lists).
 * A sandboxed service reports its pids as its own pid namespace numbers
 * them; these are the host's.
 */
export function descendantsOf(pid: number): number[] {
  const found: number[] = [];
  const queue = [pid];
  while (queue.length) {
    const current = queue.shift()!;
    let children: string[] = [];
    try {
      children = readFileSync(`/proc/${current}/task/${current}/children`, 'utf8').split(' ').filter(Boolean);
    } catch {}
    for (const child of children) {
      found.push(Number(child));
      queue.push(Number(child));
    }
  }
  return found;
}

/** The host pids in a local workload's cgroup (v2 or v1), or [] when it has none. */
export function cgroupPids(workloadId: string): number[] {
  const v2 = existsSync('/sys/fs/cgroup/cgroup.controllers');
  const file = v2
    ? `/sys/fs/cgroup/agentforge/${workloadId}/cgroup.procs`
    : `/sys/fs/cgroup/pids/agentforge/${workloadId}/cgroup.procs`;
  try {
    return readFileSync(file, 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}
