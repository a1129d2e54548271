import { runCommand } from '../command.ts';
import { installCommand, readManifest, startCommand } from '../manifest.ts';
import { spawnGroup, stopGroup } from '../process-group.ts';
import { serviceEnv } from '../service-env.ts';
import { pipeByStage } from '../stage-output.ts';
import { processGroupUsage } from '../usage/process-group-usage.ts';
import { type RunningService, type ServiceExecutor, type StageContext, StageError } from './types.ts';

/** Runs the service as a process group on this host. */
export class LocalExecutor implements ServiceExecutor {
  readonly name = 'local' as const;

  async build(ctx: StageContext): Promise<void> {
    const manifest = await readManifest(ctx.serviceDir, ctx.servicePath);
    if (!manifest) throw new StageError(`No package.json in ${ctx.servicePath}`);
    if (manifest.hasDependencies) {
      const install = await installCommand(ctx.serviceDir);
      ctx.log.write('build', 'info', `Installing dependencies (${install.command} ${install.args[0]})...`);
      await runCommand(ctx, install.command, install.args, `${install.command} ${install.args[0]}`);
      ctx.log.write('build', 'info', '✓ Dependencies installed');
    } else {
      ctx.log.write('build', 'info', 'No dependencies in package.json: skipping install');
    }
    if (manifest.scripts.build) {
      ctx.log.write('build', 'info', `Building (npm run build: ${manifest.scripts.build})...`);
      await runCommand(ctx, 'npm', ['run', 'build', '--no-update-notifier'], 'npm run build');
      ctx.log.write('build', 'info', '✓ Build finished');
    } else {
      ctx.log.write('build', 'info', 'No build script: nothing to build');
    }
  }

  async start(ctx: StageContext, port: number, host: string): Promise<RunningService> {
    const manifest = await readManifest(ctx.serviceDir, ctx.servicePath);
    const start = manifest && (await startCommand(manifest, ctx.serviceDir));
    if (!start) throw new StageError(`No start command for ${ctx.servicePath}`);
    ctx.log.write(ctx.stage(), 'info', `Starting service: ${start.display}`);
    const [command, args] =
      start.kind === 'node'
        ? [process.execPath, start.args]
        : ['npm', ['start', '--no-update-notifier', '--loglevel=warn']];
    const env = serviceEnv(ctx.baseEnv, ctx.env, { PORT: String(port), HOST: host });
    const proc = await spawnGroup(command, args, { cwd: ctx.serviceDir, env });
    const output = Promise.all([
      pipeByStage(ctx.log, proc.child.stdout, 'info', ctx.stage),
      pipeByStage(ctx.log, proc.child.stderr, 'warn', ctx.stage),
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
    return {
      pid: proc.pid,
      usage: () => processGroupUsage(proc.pid),
      exited,
      stop: async (timeoutMs: number) => {
        stopping ??= stopGroup(proc, timeoutMs);
        await stopping;
        return exited;
      },
    };
  }
}
