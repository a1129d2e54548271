import { runCommand } from '../command.ts';
import { installCommand, readManifest, startCommand } from '../manifest.ts';
import { stopGroup } from '../process-group.ts';
import { probeSandbox } from '../sandbox/availability.ts';
import { Confinement } from '../sandbox/confinement.ts';
import {
  type ResourceUsage,
  type RunningService,
  type ServiceExecutor,
  type StageContext,
  StageError,
} from './types.ts';

/**
 * Runs the service as processes on this host, each command (install, build,
 * start) in the workload's sandbox and cgroup, in its working copy (see
 * runner/sandbox): made when build starts, removed when the workload ends.
 */
export class LocalExecutor implements ServiceExecutor {
  readonly name = 'local' as const;
  private readonly confinements = new Map<string, Promise<Confinement>>();

  private confinement(ctx: StageContext): Promise<Confinement> {
    let made = this.confinements.get(ctx.workloadId);
    if (!made) {
      made = (async () => {
        const sandbox = ctx.config.localSandbox === 'on' ? await probeSandbox(ctx.config.bwrap) : undefined;
        const confinement = await Confinement.create({
          config: ctx.config,
          workloadId: ctx.workloadId,
          deploymentId: ctx.deploymentId,
          rootPath: ctx.rootPath,
          serviceDir: ctx.serviceDir,
          limits: ctx.limits,
          sandboxed: sandbox?.ok === true,
          ...(sandbox?.ok ? { bwrap: sandbox.bwrap } : {}),
        });
        const { memoryMb, cpus, pids } = ctx.limits;
        const limits = `${memoryMb} MB memory, ${cpus} CPU, ${pids} processes`;
        if (confinement.cgroup) ctx.log.write(ctx.stage(), 'info', `Limits: ${limits}`);
        else
          ctx.log.write(ctx.stage(), 'warn', `Limits not enforced (${limits}): ${confinement.cgroupProblem}`);
        if (confinement.sandboxed) {
          ctx.log.write(
            ctx.stage(),
            'info',
            `Sandbox: uid ${confinement.identity?.uid}, working copy of ${ctx.servicePath}`,
          );
        }
        return confinement;
      })();
      made.catch(() => this.confinements.delete(ctx.workloadId));
      this.confinements.set(ctx.workloadId, made);
    }
    return made;
  }

  async build(ctx: StageContext): Promise<void> {
    const confinement = await this.confinement(ctx);
    const manifest = await readManifest(confinement.hostDir, ctx.servicePath);
    if (!manifest) throw new StageError(`No package.json in ${ctx.servicePath}`);
    const env = confinement.environment(ctx.baseEnv, ctx.env, { CI: 'true' });
    if (manifest.hasDependencies) {
      const install = await installCommand(confinement.hostDir);
      const display = `${install.command} ${install.args[0]}`;
      ctx.log.write('build', 'info', `Installing dependencies (${display})...`);
      await runCommand(
        ctx,
        () => confinement.spawn(install.command, install.args, env),
        install.command,
        display,
      );
      ctx.log.write('build', 'info', '✓ Dependencies installed');
    } else {
      ctx.log.write('build', 'info', 'No dependencies in package.json: skipping install');
    }
    if (manifest.scripts.build) {
      ctx.log.write('build', 'info', `Building (npm run build: ${manifest.scripts.build})...`);
      await runCommand(
        ctx,
        () => confinement.spawn('npm', ['run', 'build', '--no-update-notifier'], env),
        'npm',
        'npm run build',
      );
      ctx.log.write('build', 'info', '✓ Build finished');
    } else {
      ctx.log.write('build', 'info', 'No build script: nothing to build');
    }
  }

  async start(ctx: StageContext, port: number, host: string): Promise<RunningService> {
    const confinement = await this.confinement(ctx);
    const manifest = await readManifest(confinement.hostDir, ctx.servicePath);
    const start = manifest && (await startCommand(manifest, confinement.hostDir));
    if (!start) throw new StageError(`No start command for ${ctx.servicePath}`);
    ctx.log.write(ctx.stage(), 'info', `Starting service: ${start.display}`);
    const [command, args] =
      start.kind === 'node'
        ? [process.execPath, start.args]
        : ['npm', ['start', '--no-update-notifier', '--loglevel=warn']];
    const env = confinement.environment(ctx.baseEnv, ctx.env, { PORT: String(port), HOST: host });
    const proc = await confinement.spawn(command, args, env);
    const output = Promise.all([
      ctx.log.pipe(proc.child.stdout, ctx.stage, 'info'),
      ctx.log.pipe(proc.child.stderr, ctx.stage, 'warn'),
    ]);
    let stopping: ReturnType<typeof stopGroup> | undefined;
    // Once the leader is gone, so is everything it left in its group, and
    // `exited` resolves only after the last output line is queued.
    const exited = proc.exited.then(async (exit) => {
      stopping ??= stopGroup(proc, 0);
      await stopping;
      await output.catch((error: Error) =>
        ctx.log.write(ctx.stage(), 'error', `Service output was cut short: ${error.message}`),
      );
      return exit;
    });
    const cgroup = confinement.cgroup;
    return {
      pid: proc.pid,
      // Resources come from the workload's cgroup where it has one (its
      // processes, however they were spawned); otherwise the sampler reads
      // the process group from /proc.
      ...(cgroup && {
        readUsage: async () => ({ ...(await cgroup.usage()), at: performance.now() }),
      }),
      exited,
      stop: async (timeoutMs: number) => {
        stopping ??= stopGroup(proc, timeoutMs);
        await stopping;
        return exited;
      },
    };
  }

  async usage(ctx: StageContext): Promise<ResourceUsage | undefined> {
    const made = this.confinements.get(ctx.workloadId);
    const cgroup = made && (await made.catch(() => undefined))?.cgroup;
    return cgroup?.usage().catch(() => undefined);
  }

  async release(ctx: StageContext): Promise<void> {
    const made = this.confinements.get(ctx.workloadId);
    if (!made) return;
    this.confinements.delete(ctx.workloadId);
    await (await made.catch(() => undefined))?.dispose();
  }
}
