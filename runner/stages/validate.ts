import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../../src/config.ts';
import type { Executor } from '../../src/stages.ts';
import { resolveInside } from '../../src/validation/paths.ts';
import { probeDocker } from '../executors/docker-probe.ts';
import { StageError } from '../executors/types.ts';
import type { LogSink } from '../logs/types.ts';
import { fileExists, readManifest, startCommand } from '../manifest.ts';

export interface ValidateInput {
  rootPath: string;
  servicePath: string;
  executor: Executor;
  config: Config;
  log: LogSink;
}

export interface ValidatedService {
  serviceDir: string;
  executor: 'local' | 'docker';
}

/**
 * validate (DESIGN.md §3): the directory exists inside the project root
 * (symlinks resolved), package.json parses, there is a start command [or a
 * Dockerfile], and the executor is decided. Throws StageError naming the problem.
 */
export async function validateService(input: ValidateInput): Promise<ValidatedService> {
  const { servicePath, log } = input;
  const info = (message: string) => log.write('validate', 'info', message);
  info(`Checking service at ${servicePath}`);

  const resolved = await resolveInside(input.rootPath, servicePath);
  if (resolved === 'missing') {
    throw new StageError(
      `Service directory ${servicePath} does not exist in the project root ${input.rootPath}`,
    );
  }
  if (resolved === 'outside') {
    throw new StageError(
      `Service directory ${servicePath} resolves outside the project root (through a symlink)`,
    );
  }
  if (!(await stat(resolved)).isDirectory()) throw new StageError(`${servicePath} is not a directory`);
  info(`✓ Service directory found`);

  const manifest = await readManifest(resolved, servicePath);
  if (manifest) info('✓ package.json found');

  const executor = await decideExecutor(input, resolved);
  if (executor === 'docker') return { serviceDir: resolved, executor };

  if (!manifest) throw new StageError(`No package.json in ${servicePath}: a Node service needs one`);
  const start = await startCommand(manifest, resolved);
  if (!start) {
    throw new StageError(
      `No start command in ${servicePath}: package.json has neither scripts.start nor main, and there is no server.js`,
    );
  }
  info(`✓ Start command: ${start.display}`);
  return { serviceDir: resolved, executor };
}

async function decideExecutor(input: ValidateInput, serviceDir: string): Promise<'local' | 'docker'> {
  const info = (message: string) => input.log.write('validate', 'info', message);
  if (input.executor === 'local') {
    info('Executor: local (set on the deployment)');
    return 'local';
  }
  if (input.executor === 'auto' && !(await fileExists(path.join(serviceDir, 'Dockerfile')))) {
    info('Executor: local (auto: no Dockerfile)');
    return 'local';
  }
  const probe = await probeDocker(input.config, serviceDir);
  if (input.executor === 'docker') {
    if (!probe.dockerfile) throw new StageError(`Executor docker needs a Dockerfile in ${input.servicePath}`);
    if (!probe.engine.ok) throw new StageError(`Executor docker cannot run: ${probe.engine.reason}`);
    info('✓ Dockerfile found');
    info('Executor: docker (set on the deployment; the engine answers)');
    return 'docker';
  }
  if (probe.dockerfile && probe.engine.ok) {
    info('✓ Dockerfile found');
    info('Executor: docker (auto: Dockerfile found and the engine answers)');
    return 'docker';
  }
  const why = probe.engine.ok ? 'no Dockerfile' : `Dockerfile found but ${probe.engine.reason}`;
  input.log.write('validate', probe.dockerfile ? 'warn' : 'info', `Executor: local (auto: ${why})`);
  return 'local';
}
