import { randomBytes, randomUUID } from 'node:crypto';
import { cp, mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type Docker from 'dockerode';
import { afterAll, afterEach, beforeAll } from 'vitest';
import type { Config } from '../../core/config.ts';
import type { LogLevel, WorkloadStage } from '../../core/stages.ts';
import { createDockerExecutor } from '../../runner/executors/docker.ts';
import { CONFLICT, dockerClient, engineStatus, NOT_FOUND } from '../../runner/executors/docker-engine.ts';
import type { ServiceExecutor, StageContext } from '../../runner/executors/types.ts';
import { createLogWriter, type LogWriter, type LogWriterOptions } from '../../runner/logs/log-writer.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { seedDeployment } from '../support/seed.ts';
import { dockerEngine } from './engine.ts';

const fixtures = fileURLToPath(new URL('../fixtures/', import.meta.url));

/** A fixture service copied into a temporary project root (builds must not write into the repo). */
export async function copyFixture(
  name: string,
): Promise<{ rootPath: string; serviceDir: string; cleanup(): Promise<void> }> {
  const rootPath = await realpath(await mkdtemp(join(tmpdir(), 'agentforge-docker-test-')));
  await cp(join(fixtures, name), join(rootPath, name), { recursive: true });
  return {
    rootPath,
    serviceDir: join(rootPath, name),
    cleanup: () => rm(rootPath, { recursive: true, force: true }),
  };
}

/**
 * Gives the copied fixture's `LABEL agentforge.fixture=…` a value of its own
 * and returns it, so a test counts only the build containers of its own
 * build, not those of another test file building the same fixture at once.
 */
export async function uniqueFixtureLabel(serviceDir: string): Promise<string> {
  const dockerfile = join(serviceDir, 'Dockerfile');
  const text = await readFile(dockerfile, 'utf8');
  const label = `${basename(serviceDir)}-${randomBytes(4).toString('hex')}`;
  const labelled = text.replace(/^LABEL agentforge\.fixture=\S+$/m, `LABEL agentforge.fixture=${label}`);
  if (labelled === text) throw new Error(`${dockerfile} has no agentforge.fixture label`);
  await writeFile(dockerfile, labelled);
  return label;
}

export interface TestStage {
  ctx: StageContext;
  log: LogWriter;
  controller: AbortController;
  setStage(stage: WorkloadStage): void;
  logs(): Promise<{ stage: WorkloadStage; level: LogLevel; message: string }[]>;
}

/**
 * A StageContext over a real deployment and workload row, with the real
 * batching log writer, so entries land in workload_log as the runner's do.
 */
export async function stageContext(
  db: TestDatabase,
  config: Config,
  service: { rootPath: string; serviceDir: string; servicePath: string },
  env: { name: string; value: string }[] = [],
  logOptions: LogWriterOptions = {},
): Promise<TestStage> {
  const deploymentId = await seedDeployment(db, {
    rootPath: service.rootPath,
    servicePath: service.servicePath,
    executor: 'docker',
    env,
  });
  const workloadId = randomUUID();
  await db.pool.query(
    `insert into workload (id, deployment_id, service_path, stage, executor, created_at, updated_at)
     values ($1, $2, $3, 'build', 'docker', now(), now())`,
    [workloadId, deploymentId, service.servicePath],
  );
  const log = createLogWriter(db.pool, workloadId, logOptions);
  const controller = new AbortController();
  let stage: WorkloadStage = 'build';
  const ctx: StageContext = {
    workloadId,
    deploymentId,
    runnerId: randomUUID(),
    serviceDir: service.serviceDir,
    servicePath: service.servicePath,
    rootPath: service.serviceDir,
    limits: config.defaultLimits,
    env,
    baseEnv: {},
    healthCheckPath: null,
    config,
    log,
    signal: controller.signal,
    stage: () => stage,
  };
  return {
    ctx,
    log,
    controller,
    setStage: (next) => {
      stage = next;
    },
    async logs() {
      await log.flush();
      const { rows } = await db.pool.query(
        'select stage, level, message from workload_log where workload_id = $1 order by seq',
        [workloadId],
      );
      return rows;
    },
  };
}

/** Polls `check` until it returns true, for at most `ms` (bounds a wait; asserts nothing about speed). */
export async function eventually(check: () => Promise<boolean>, ms = 15_000): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return check();
}

/**
 * Removes the tags matching `reference` (a repository or repository:tag).
 * Tags, not image ids: builds of the same content in other test files share
 * one image, which goes with its last tag. An image still in use by a
 * container (409) or already gone (404) is left alone.
 */
export async function removeImageTags(docker: Docker, reference: string): Promise<void> {
  for (const image of await docker.listImages({ filters: { reference: [reference] } })) {
    for (const tag of image.RepoTags ?? []) {
      if (!tag.startsWith(reference)) continue;
      try {
        await docker.getImage(tag).remove();
      } catch (error) {
        const status = engineStatus(error);
        if (status !== CONFLICT && status !== NOT_FOUND) throw error;
      }
    }
  }
}

/**
 * Removes the untagged images a cancelled build of a fixture left behind
 * (the layers committed before the cancel), found by the fixture's unique
 * label so that no other build's images are touched.
 */
export async function removeFixtureLayers(docker: Docker, label: string): Promise<void> {
  const images = await docker.listImages({
    all: true,
    filters: { label: [`agentforge.fixture=${label}`], dangling: ['true'] },
  });
  for (const image of images) {
    try {
      await docker.getImage(image.Id).remove();
    } catch (error) {
      const status = engineStatus(error);
      if (status !== CONFLICT && status !== NOT_FOUND) throw error;
    }
  }
}

/** What the suites that drive the docker executor directly share (see `executorSuite`). */
export interface ExecutorSuite {
  executor: ServiceExecutor;
  /** A test database of the suite's own (set in beforeAll). */
  db: TestDatabase;
  /** A client of the engine under test (set in beforeAll). */
  docker: Docker;
  /** Runs `cleanup` after the current test; cleanups run last first. */
  defer(cleanup: () => Promise<unknown>): void;
}

/** Registers, in the calling describe, the hooks of a suite that drives the docker executor directly. */
export function executorSuite(): ExecutorSuite {
  const cleanups: (() => Promise<unknown>)[] = [];
  const suite = {
    executor: createDockerExecutor(),
    defer: (cleanup: () => Promise<unknown>) => {
      cleanups.push(cleanup);
    },
  } as ExecutorSuite;
  beforeAll(async () => {
    suite.db = await createTestDatabase();
    suite.docker = dockerClient(dockerEngine.config);
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  afterAll(async () => {
    await suite.db?.drop();
  });
  return suite;
}
