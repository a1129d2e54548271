import type pg from 'pg';
import type { Config } from '../core/config.ts';
import { type FailureReason, stageFailureReason } from '../core/failure-reasons.ts';
import type { Logger } from '../core/logger.ts';
import { retry } from '../core/retry.ts';
import type { ClaimedWorkload } from '../core/sql/claim.ts';
import { PORT_TAKEN, transitionWithPort } from '../core/sql/ports.ts';
import { getWorkloadRow, transitionWorkload } from '../core/sql/transition.ts';
import type { WorkloadPatch, WorkloadRow } from '../core/sql/workload-row.ts';
import { isTerminal, PROGRESS_STAGES, type WorkloadStage } from '../core/stages.ts';
import { BuildPreparation } from './build-preparation.ts';
import { CancelledError } from './command.ts';
import type { ExecutorRegistry } from './executors/index.ts';
import {
  outOfMemoryMessage,
  type RunningService,
  type ServiceExecutor,
  type StageContext,
  StageError,
} from './executors/types.ts';
import { type Unhealthy, watchHealth } from './health/health-check.ts';
import { createLogWriter } from './logs/log-writer.ts';
import type { LogSink } from './logs/types.ts';
import { allocatePort, noFreePort } from './port-allocator.ts';
import { describeExit } from './process-group.ts';
import type { ResourceSampler } from './resources/sampler.ts';
import { endRunning } from './restart/end-running.ts';
import { deployService } from './stages/deploy.ts';
import { checkService, resolveServiceDir } from './stages/validate.ts';

export interface JobDeps {
  /** The runner's pool (it survives a runner restart: the runner swaps what is behind it). */
  pool: pg.Pool;
  config: Config;
  runnerId: string;
  executors: ExecutorRegistry;
  baseEnv: Record<string, string>;
  /** Address services listen on and their URL names. */
  serviceHost: string;
  /** The runner's logger (it carries the runnerId). */
  logger: Logger;
  /** Told of each restart this runner schedules, so it can claim it when its backoff is over. */
  onRestartScheduled?: (restart: WorkloadRow) => void;
  /** Samples the resource use of running services (every 5 s). */
  sampler?: ResourceSampler;
}

/**
 * Why a workload is being stopped: the user asked, its runner shuts down,
 * or it was ended elsewhere (failed as an orphan while this runner was cut
 * off) and is no longer this runner's to record.
 */
export type StopReason = 'user' | 'shutdown' | 'abandoned';

/** Waits between attempts to record a terminal stage: the database may be down for a while. */
const RECORD_END_BACKOFF = { firstMs: 200, maxMs: 5_000 };

/** Another actor moved the workload first (a conditional UPDATE matched nothing). */
class LostRaceError extends Error {
  override name = 'LostRaceError';
}

/**
 * One claimed workload, from `validate` to its terminal stage. The runner
 * calls `advance()` inside its concurrency queue (validate → build → deploy
 * → running) and then, outside it, `supervise()` while the service runs.
 * Every terminal transition is preceded by a flush of the log, so the last
 * entry is stored before the stage says it is over.
 */
export class WorkloadJob {
  readonly id: string;
  private stage: WorkloadStage;
  private readonly abort = new AbortController();
  private stopReason: StopReason | undefined;
  private readonly stopRequested: Promise<void>;
  private resolveStop!: () => void;
  private service: RunningService | undefined;
  /** Where the service listens (its health is checked there while running). */
  private deployedAt: { host: string; port: number } | undefined;
  /** performance.now() when it entered running. */
  private runningSince = 0;
  /** The executor chosen and the context it was given, for its release at the end. */
  private used: { executor: ServiceExecutor; ctx: StageContext } | undefined;
  private readonly sink: LogSink;
  private readonly workloadLogger: Logger;
  /** The server log for this workload in its current stage: every line carries workloadId, stage, runnerId. */
  private logger: Logger;

  constructor(
    private readonly deps: JobDeps,
    private readonly claim: ClaimedWorkload,
  ) {
    this.id = claim.workload.id;
    this.stage = claim.workload.stage;
    this.sink = createLogWriter(deps.pool, this.id, { maxBytes: deps.config.logMaxBytes });
    this.workloadLogger = deps.logger.child({
      workloadId: this.id,
      deploymentId: claim.workload.deploymentId,
    });
    this.logger = this.workloadLogger.child({ stage: this.stage });
    this.stopRequested = new Promise((resolve) => {
      this.resolveStop = resolve;
    });
  }

  get currentStage(): WorkloadStage {
    return this.stage;
  }

  get stopping(): boolean {
    return this.stopReason !== undefined;
  }

  /** Cancels work in progress (its commands are killed) or stops the running service. */
  requestStop(reason: StopReason): void {
    if (this.stopReason) return;
    this.stopReason = reason;
    this.resolveStop();
    if (PROGRESS_STAGES.includes(this.stage)) this.abort.abort();
  }

  /** The workload ended elsewhere (`stage`): stop its process, record nothing more. */
  abandon(stage: WorkloadStage): void {
    if (this.stopReason) return;
    this.logger.warn(`Workload ended elsewhere (${stage}): stopping what this runner started`);
    this.requestStop('abandoned');
  }

  /**
   * validate → build → deploy → running. True when the service is running,
   * false when the workload ended. Once validate has found the service
   * directory, the build's preparation starts (build-preparation.ts) and
   * runs alongside the rest of validate and the move to build.
   */
  async advance(): Promise<boolean> {
    let preparation: BuildPreparation | undefined;
    try {
      this.throwIfStopping();
      const { workload } = this.claim;
      this.sink.write('validate', 'info', `Claimed by runner ${this.deps.runnerId}`);
      const input = {
        rootPath: this.claim.rootPath,
        servicePath: workload.servicePath,
        executor: this.claim.executor,
        config: this.deps.config,
        log: this.sink,
      };
      const ctx = this.context(await resolveServiceDir(input));
      preparation = new BuildPreparation(this.deps.executors, this.claim.executor, ctx);
      const chosen = await checkService(input, ctx.serviceDir);
      const executor = this.deps.executors[chosen];
      if (!executor) throw new StageError(`Executor ${chosen} is not available on this runner`);
      this.used = { executor, ctx };
      await this.move('build', { executor: chosen });

      await executor.build(ctx, preparation.take(executor));
      const port = await this.moveToDeploy();

      const deployed = await deployService(
        ctx,
        this.deps.pool,
        executor,
        this.deps.serviceHost,
        port,
        (service) => {
          this.service = service;
        },
      );
      this.deployedAt = this.service?.readyAt ?? { host: this.deps.serviceHost, port };
      await this.move('running', { url: deployed.url });
      this.runningSince = performance.now();
      this.sink.write('running', 'info', `Service running on ${deployed.url}`);
      await executor.cleanup?.(ctx).catch((error: Error) => {
        this.sink.write('running', 'warn', `Cleanup after deploy failed: ${error.message}`);
      });
      return true;
    } catch (error) {
      preparation?.discard();
      await this.fail(error);
      return false;
    }
  }

  /**
   * While running: waits for the service to exit, a stop request, or its
   * periodic health check to fail `failureThreshold` times in a row, and
   * records how it ended (restart policy included, see restart/end-running.ts).
   */
  async supervise(): Promise<void> {
    const service = this.service;
    if (!service) throw new Error(`Workload ${this.id} has no running service to supervise`);
    const watching = new AbortController();
    this.deps.sampler?.add(this.id, service);
    try {
      const outcome = await Promise.race([
        service.exited.then((exit) => ({ kind: 'exited' as const, exit })),
        this.stopRequested.then(() => ({ kind: 'stop' as const })),
        this.watchHealth(watching.signal).then((unhealthy) =>
          unhealthy ? { kind: 'unhealthy' as const, unhealthy } : new Promise<never>(() => {}),
        ),
      ]);
      watching.abort();
      if (outcome.kind === 'stop' && this.stopReason === 'abandoned') {
        await service.stop(0);
        return;
      }
      if (outcome.kind === 'stop') return await this.stopService(service);
      if (outcome.kind === 'unhealthy') {
        const { failures, reason } = outcome.unhealthy;
        const error = `Health check failed ${failures} times in a row: ${reason}`;
        this.sink.write('running', 'error', error);
        const exit = await service.stop(this.deps.config.stopTimeoutMs);
        this.sink.write('running', 'info', `Service stopped (${describeExit(exit)})`);
        return await this.endRunning('failed', {
          error,
          failedStage: 'running',
          failureReason: 'health',
          exitCode: exit.code,
        });
      }
      const { exit } = outcome;
      // The contract's wording for any exit of a service that should keep running, 0 included.
      const error = exit.outOfMemoryMb
        ? outOfMemoryMessage(exit.outOfMemoryMb)
        : exit.signal
          ? `Service killed by signal ${exit.signal}`
          : `Service crashed with exit code ${exit.code}`;
      // Whatever it forked is killed too.
      await service.stop(0);
      this.sink.write('running', 'error', error);
      await this.endRunning('failed', {
        error,
        failedStage: 'running',
        failureReason: exit.outOfMemoryMb ? 'memory' : 'crash',
        exitCode: exit.code,
      });
    } finally {
      watching.abort();
      this.deps.sampler?.remove(this.id);
    }
  }

  /** Records the new stage here and in the server log's bindings. */
  private entered(stage: WorkloadStage): void {
    this.stage = stage;
    this.logger = this.workloadLogger.child({ stage });
  }

  private async stopService(service: RunningService): Promise<void> {
    this.sink.write(
      'running',
      'info',
      this.stopReason === 'shutdown'
        ? 'Runner shutting down: stopping the service (SIGTERM)...'
        : 'Stopping the service (SIGTERM)...',
    );
    const exit = await service.stop(this.deps.config.stopTimeoutMs);
    this.sink.write('running', 'info', `✓ Service stopped (${describeExit(exit)})`);
    await this.endRunning('stopped', { exitCode: exit.code });
  }

  /** The deployment's periodic health check; never resolves (undefined) when it is off. */
  private watchHealth(signal: AbortSignal): Promise<Unhealthy | undefined> {
    const { health, healthCheckPath } = this.claim;
    const at = this.deployedAt;
    if (!at || health.intervalMs <= 0) return Promise.resolve(undefined);
    return watchHealth(
      { target: { ...at, path: healthCheckPath }, ...health },
      signal,
      (failures, threshold, reason) =>
        this.sink.write('running', 'warn', `Health check failed (${failures}/${threshold}): ${reason}`),
    );
  }

  /** Releases what the workload had on this host (working copy, cgroup), then flushes and closes the log. */
  async close(): Promise<void> {
    if (this.used) {
      await this.used.executor.release?.(this.used.ctx).catch(() => {});
      this.used = undefined;
    }
    return this.sink.close();
  }

  private context(serviceDir: string): StageContext {
    const { workload } = this.claim;
    return {
      workloadId: this.id,
      deploymentId: workload.deploymentId,
      runnerId: this.deps.runnerId,
      serviceDir,
      servicePath: workload.servicePath,
      rootPath: this.claim.rootPath,
      limits: {
        memoryMb: this.claim.limits.memoryMb ?? this.deps.config.defaultLimits.memoryMb,
        cpus: this.claim.limits.cpus ?? this.deps.config.defaultLimits.cpus,
        pids: this.claim.limits.pids ?? this.deps.config.defaultLimits.pids,
      },
      env: this.claim.env,
      baseEnv: this.deps.baseEnv,
      healthCheckPath: this.claim.healthCheckPath,
      config: this.deps.config,
      log: this.sink,
      signal: this.abort.signal,
      stage: () => this.stage,
    };
  }

  private throwIfStopping(): void {
    if (this.stopReason || this.abort.signal.aborted) throw new CancelledError('Cancelled');
  }

  private async move(to: WorkloadStage, patch: WorkloadPatch = {}): Promise<void> {
    this.throwIfStopping();
    const row = await transitionWorkload(this.deps.pool, this.id, this.stage, to, patch);
    if (!row) throw this.lostRace();
    this.entered(to);
    this.logger.info(`Workload entered ${to}`);
  }

  /**
   * build → deploy, recording the workload's port in the same statement: a
   * candidate free on this host (port-allocator.ts) goes into the stage
   * change, and one the live-port index refuses leaves the workload in build
   * to try the next. When the range has none, the workload still enters
   * deploy, the stage whose failure that is.
   */
  private async moveToDeploy(): Promise<number> {
    this.throwIfStopping();
    const { pool, config } = this.deps;
    const port = await allocatePort(config.portRange, this.abort.signal, async (candidate) => {
      const moved = await transitionWithPort(pool, this.id, this.stage, 'deploy', candidate);
      if (moved === PORT_TAKEN) return false;
      if (!moved) throw this.lostRace();
      this.entered('deploy');
      this.logger.info(`Workload entered deploy (port ${candidate})`);
      return true;
    });
    if (port !== undefined) return port;
    await this.move('deploy');
    throw noFreePort(config.portRange);
  }

  /**
   * The terminal transition out of running, after every log entry is
   * stored, with the restart policy applied in the same transaction.
   */
  private async endRunning(to: 'stopped' | 'failed', patch: WorkloadPatch): Promise<void> {
    let logFailure: unknown;
    try {
      await this.sink.flush();
    } catch (error) {
      logFailure = error;
    }
    const { workload } = this.claim;
    const ranMs = performance.now() - this.runningSince;
    await this.recordEnd(to, patch, async () => {
      const ended = await endRunning(this.deps.pool, workload, {
        stage: to,
        stopRequested: this.stopReason === 'user',
        ranMs,
        patch,
      });
      if (ended.restart) this.deps.onRestartScheduled?.(ended.restart);
      return ended.row !== null;
    });
    if (logFailure) throw new Error(`Log entries of workload ${this.id} were lost`, { cause: logFailure });
  }

  private lostRace(): LostRaceError {
    return new LostRaceError(`Workload ${this.id} left ${this.stage} elsewhere`);
  }

  /** Ends the workload `failed` from a progress stage, with the reason in the log and in `error`. */
  private async fail(error: unknown): Promise<void> {
    const stage = this.stage;
    const exit = this.service ? await this.service.stop(0) : undefined;
    if (this.stopReason === 'abandoned') return;
    if (error instanceof LostRaceError) {
      this.logger.warn('The workload was changed elsewhere: this runner stops working on it');
      this.sink.write(stage, 'warn', 'The workload was changed elsewhere: this runner stops working on it');
      await this.sink.flush();
      return;
    }
    let message: string;
    let failureReason: FailureReason = stageFailureReason(stage);
    if (this.stopReason || error instanceof CancelledError) {
      failureReason = 'cancelled';
      message =
        this.stopReason === 'shutdown'
          ? `Cancelled: runner shutting down during ${stage}`
          : `Cancelled by user during ${stage}`;
    } else if (error instanceof StageError) {
      message = error.message;
    } else {
      message = `Unexpected error during ${stage}: ${(error as Error).message ?? String(error)}`;
    }
    this.sink.write(stage, 'error', message);
    await this.finish('failed', {
      error: message,
      failedStage: stage,
      failureReason,
      exitCode: exit?.code ?? null,
    });
  }

  /**
   * The terminal transition, after every log entry is stored. Should the
   * log fail, the stage is still recorded (a workload must not stay live
   * forever), and then the log failure is raised.
   *
   * The transition is retried until it is recorded: while the database is
   * unreachable the job stays in its runner (which keeps it, keeps renewing
   * its lease once it can, and claims nothing meanwhile), so the end of a
   * service that exited during an outage is written when the database is
   * back. A conditional UPDATE that matches nothing means another actor
   * ended it first (an orphan sweep): that is recorded too, not ours.
   */
  private async finish(to: 'stopped' | 'failed', patch: WorkloadPatch): Promise<void> {
    let logFailure: unknown;
    try {
      await this.sink.flush();
    } catch (error) {
      logFailure = error;
    }
    const from = this.stage;
    await this.recordEnd(to, patch, async () =>
      Boolean(await transitionWorkload(this.deps.pool, this.id, from, to, patch)),
    );
    if (logFailure) throw new Error(`Log entries of workload ${this.id} were lost`, { cause: logFailure });
  }

  /**
   * Runs `attempt` (one terminal transition, true when it matched) until it
   * is recorded, with backoff: while the database is unreachable the job
   * stays in its runner. A transition that matched nothing is re-read: a
   * workload another actor ended (an orphan sweep), or whose earlier attempt
   * committed without its answer arriving, is done.
   */
  private async recordEnd(
    to: 'stopped' | 'failed',
    patch: WorkloadPatch,
    attempt: () => Promise<boolean>,
  ): Promise<void> {
    const from = this.stage;
    const recorded = await retry(
      async () => {
        if (await attempt()) return to;
        const current = await getWorkloadRow(this.deps.pool, this.id);
        if (!current || isTerminal(current.stage) || current.stage !== from) return current?.stage ?? to;
        throw new Error(`Workload ${this.id} is still ${from}`);
      },
      {
        ...RECORD_END_BACKOFF,
        onRetry: (error, attempt, delayMs) => {
          if (attempt === 1 || attempt % 10 === 0) {
            this.logger.warn(
              { err: error },
              `Cannot record ${to} yet (${(error as Error).message}); retrying every ${Math.round(delayMs / 1000)} s at most until it is`,
            );
          }
        },
      },
    );
    if (recorded === to) this.logEnd(to, patch);
    else this.entered(recorded);
  }

  /** Enters the terminal stage here and says so in the server log. */
  private logEnd(to: 'stopped' | 'failed', patch: WorkloadPatch): void {
    const from = this.stage;
    this.entered(to);
    const fields = {
      failedStage: patch.failedStage,
      failureReason: patch.failureReason,
      exitCode: patch.exitCode,
    };
    if (to === 'failed') this.logger.warn(fields, `Workload failed in ${from}: ${patch.error}`);
    else this.logger.info(fields, 'Workload stopped');
  }
}
