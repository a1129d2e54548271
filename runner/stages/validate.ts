import { stat } from 'node:fs/promises';
import type { Config } from '../../core/config.ts';
import { resolveInside } from '../../core/paths.ts';
import type { Executor } from '../../core/stages.ts';
import { probeDocker, probeDockerfileFirst } from '../executors/docker-probe.ts';
import { StageError } from '../executors/types.ts';
import type { LogSink } from '../logs/types.ts';
import { readManifest, startCommand } from '../manifest.ts';
import { probeSandbox } from '../sandbox/availability.ts';

/**
 * What validate (docs/architecture.md, "Stage machine") checks. It runs in two steps, so that work
 * for build can start once the directory is known (see WorkloadJob):
 * `resolveServiceDir`, then `checkService`. Both throw StageError naming
 * the problem.
 */
export interface ValidateInput {
  rootPath: string;
  servicePath: string;
  executor: Executor;
  config: Config;
  log: LogSink;
}

/** The service directory exists inside the project root (symlinks resolved); its real path. */
export async function resolveServiceDir(input: ValidateInput): Promise<string> {
  const { servicePath } = input;
  input.log.write('validate', 'info', `Checking service at ${servicePath}`);
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
  input.log.write('validate', 'info', `✓ Service directory found`);
  return resolved;
}

/**
 * The rest of validate, on the directory `resolveServiceDir` found:
 * package.json parses, there is a start command [or a Dockerfile], and the
 * executor is decided.
 */
export async function checkService(input: ValidateInput, serviceDir: string): Promise<'local' | 'docker'> {
  const { servicePath, log } = input;
  const info = (message: string) => log.write('validate', 'info', message);
  const manifest = await readManifest(serviceDir, servicePath);
  if (manifest) info('✓ package.json found');

  const executor = await decideExecutor(input, serviceDir);
  if (executor === 'docker') return executor;
  await checkLocalSandbox(input);

  if (!manifest) throw new StageError(`No package.json in ${servicePath}: a Node service needs one`);
  const start = await startCommand(manifest, serviceDir);
  if (!start) {
    throw new StageError(
      `No start command in ${servicePath}: package.json has neither scripts.start nor main, and there is no server.js`,
    );
  }
  info(`✓ Start command: ${start.display}`);
  return executor;
}

async function decideExecutor(input: ValidateInput, serviceDir: string): Promise<'local' | 'docker'> {
  const info = (message: string) => input.log.write('validate', 'info', message);
  if (input.executor === 'local') {
    info('Executor: local (set on the deployment)');
    return 'local';
  }
  if (input.executor === 'docker') {
    const probe = await probeDocker(input.config, serviceDir);
    if (!probe.dockerfile) throw new StageError(`Executor docker needs a Dockerfile in ${input.servicePath}`);
    if (!probe.engine.ok) throw new StageError(`Executor docker cannot run: ${probe.engine.reason}`);
    info('✓ Dockerfile found');
    info('Executor: docker (set on the deployment; the engine answers)');
    return 'docker';
  }
  const probe = await probeDockerfileFirst(input.config, serviceDir);
  if (!probe.dockerfile) {
    info('Executor: local (auto: no Dockerfile)');
    return 'local';
  }
  if (probe.engine.ok) {
    info('✓ Dockerfile found');
    info('Executor: docker (auto: Dockerfile found and the engine answers)');
    return 'docker';
  }
  input.log.write('validate', 'warn', `Executor: local (auto: Dockerfile found but ${probe.engine.reason})`);
  return 'local';
}

/**
 * The local executor runs service code in the sandbox (runner/sandbox). A
 * root runner without one refuses it; AGENTFORGE_LOCAL_SANDBOX=off runs
 * services unconfined, and says so in every such workload's log.
 */
async function checkLocalSandbox(input: ValidateInput): Promise<void> {
  const warn = (message: string) => input.log.write('validate', 'warn', message);
  if (input.config.localSandbox === 'off') {
    warn(
      "AGENTFORGE_LOCAL_SANDBOX=off: this service runs unconfined, as the runner's user, with access to everything the runner can reach",
    );
    return;
  }
  const sandbox = await probeSandbox(input.config.bwrap);
  if (sandbox.ok) {
    input.log.write('validate', 'info', '✓ Sandbox available (bubblewrap)');
    return;
  }
  if (process.getuid?.() === 0) {
    throw new StageError(
      `The local executor will not run service code as root without a sandbox: ${sandbox.reason}. ` +
        'Install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap) on a kernel that allows unprivileged user namespaces, ' +
        'or run the runner as an unprivileged user, or set AGENTFORGE_LOCAL_SANDBOX=off to run services unconfined',
    );
  }
  warn(`No sandbox (${sandbox.reason}): this service runs unconfined, as the runner's user`);
}
