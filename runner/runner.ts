import { randomUUID } from 'node:crypto';
import PQueue from 'p-queue';
import pg from 'pg';
import type { Config } from '../core/config.ts';
import { type Logger, lineWriter, silentLogger } from '../core/logger.ts';
import { claimWorkloads } from '../core/sql/claim.ts';
import { WORKLOAD_CREATED_CHANNEL } from '../core/sql/create-workload.ts';
import { failOrphan } from '../core/sql/fail-orphan.ts';
import { RUNNER_RESTART_CHANNEL } from '../core/sql/runner-restart.ts';
import {
  heartbeat,
  markRestarted,
  markStopped,
  orphanedWorkloads,
  registerRunner,
  stopRequestedIds,
} from '../core/sql/runners.ts';
import { getWorkloadRow } from '../core/sql/transition.ts';
import { parseWorkloadUpdate, WORKLOAD_UPDATED_CHANNEL, type WorkloadRow } from '../core/sql/workload-row.ts';
import { removeOrphanContainers } from './executors/docker-orphans.ts';
import { createExecutors, type ExecutorRegistry } from './executors/index.ts';
import { NotificationListener } from './listener.ts';
import { LogRetention } from './log-retention.ts';
import { ResourceSampler } from './resources/sampler.ts';
import { sweepLeftovers } from './sandbox/leftovers.ts';
import { swappablePool } from './swappable-pool.ts';
import { WorkloadJob } from './workload-job.ts';

export interface RunnerOptions {
  config: Config;
  databaseUrl: string;
  /** Base environment for commands and services (see service-env.ts). */
  baseEnv: Record<string, string>;
  /** Address services listen on (HOST) and their URLs use. */
  serviceHost?: string;
  executors?: ExecutorRegistry;
  /** Claim poll and stop-request poll interval: a lost NOTIFY only delays by this much. */
  pollMs?: number;
  heartbeatMs?: number;
  /** The process's logger; the runner logs through a child carrying its `runnerId`. */
  logger?: Logger;
  /** Time between two sweeps of the log retention (default 10 minutes; the first runs at start). */
  logRetentionEveryMs?: number;
}

const ORPHAN_SWEEP_EVERY = 15;

/**
 * A runner: claims pending workloads, takes at most `RUNNER_CONCURRENCY` of
 * them through validate/build/deploy at once (p-queue; a running service
 * holds no slot), supervises the services it started, heartbeats, obeys stop
 * and restart requests, and on `stop()` cancels or stops everything it owns.
 */
export class Runner {
  readonly id: string = randomUUID();
  private pool: pg.Pool;
  private readonly sharedPool: pg.Pool;
  private listener: NotificationListener | undefined;
  private readonly queue: PQueue;
  private readonly jobs = new Map<string, { job: WorkloadJob; done: Promise<void> }>();
  /** Jobs claimed and not yet running or ended: what the concurrency bound counts. */
  private inProgress = 0;
  private state: 'new' | 'started' | 'stopping' | 'stopped' = 'new';
  private claiming: Promise<void> | undefined;
  private claimAgain = false;
  private pollTimer: NodeJS.Timeout | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  /** Wake-ups at the end of restart backoffs this runner scheduled. */
  private readonly restartTimers = new Set<NodeJS.Timeout>();
  private beats = 0;
  private restarting: Promise<void> | undefined;
  private readonly executors: ExecutorRegistry;
  private readonly logger: Logger;
  private readonly sampler: ResourceSampler;
  private readonly log: (line: string) => void;
  private readonly retention: LogRetention;

  constructor(private readonly options: RunnerOptions) {
    this.pool = this.createPool();
    this.sharedPool = swappablePool(() => this.pool);
    this.queue = new PQueue({ concurrency: options.config.runnerConcurrency });
    this.executors = options.executors ?? createExecutors();
    this.logger = (options.logger ?? silentLogger).child({ runnerId: this.id });
    this.log = lineWriter(this.logger);
    this.retention = new LogRetention(this.sharedPool, {
      days: options.config.logRetentionDays,
      ...(options.logRetentionEveryMs ? { everyMs: options.logRetentionEveryMs } : {}),
      report: (what, error) => this.report(what, error),
    });
    this.sampler = new ResourceSampler(this.sharedPool, (what, error) => this.report(what, error));
  }

  get concurrency(): number {
    return this.options.config.runnerConcurrency;
  }

  async start(): Promise<void> {
    if (this.state !== 'new') throw new Error('A runner starts once');
    this.state = 'started';
    await registerRunner(this.pool, this.id, process.pid, this.concurrency);
    await this.sweepOrphans();
    await this.startLoop();
    this.heartbeatTimer = setInterval(() => this.beat(), this.options.heartbeatMs ?? 2_000);
    this.retention.start();
    this.log(`Runner ${this.id} started (concurrency ${this.concurrency})`);
  }

  /**
   * Graceful shutdown: no more claims, work in progress cancelled, services
   * stopped, all of it recorded, then the runner row marked stopped.
   */
  async stop(): Promise<void> {
    if (this.state !== 'started') return;
    this.state = 'stopping';
    clearInterval(this.heartbeatTimer);
    await this.retention.stop();
    for (const timer of this.restartTimers) clearTimeout(timer);
    this.restartTimers.clear();
    await this.restarting;
    await this.stopLoop();
    await this.claiming;
    for (const { job } of this.jobs.values()) job.requestStop('shutdown');
    await Promise.all([...this.jobs.values()].map((j) => j.done));
    await this.queue.onIdle();
    await this.sampler.stop();
    await markStopped(this.pool, this.id);
    await this.pool.end();
    this.state = 'stopped';
    this.log(`Runner ${this.id} stopped`);
  }

  /** Restarts the claim loop and the database connections; hosted services keep running. */
  restart(): Promise<void> {
    this.restarting ??= this.doRestart().finally(() => {
      this.restarting = undefined;
    });
    return this.restarting;
  }

  private async doRestart(): Promise<void> {
    if (this.state !== 'started') return;
    this.log(`Runner ${this.id}: restarting its claim loop and database connections`);
    await this.stopLoop();
    await this.claiming;
    const old = this.pool;
    this.pool = this.createPool();
    await this.startLoop();
    await markRestarted(this.pool, this.id);
    // Queries already running on the old pool finish; later ones use the new one.
    await old.end();
  }

  private createPool(): pg.Pool {
    const pool = new pg.Pool({
      connectionString: this.options.databaseUrl,
      max: this.options.config.runnerConcurrency + 4,
      application_name: 'agentforge-runner',
    });
    pool.on('error', (error) => this.report('an idle database connection failed', error));
    return pool;
  }

  private async startLoop(): Promise<void> {
    const listener = new NotificationListener(
      this.options.databaseUrl,
      [WORKLOAD_CREATED_CHANNEL, WORKLOAD_UPDATED_CHANNEL, RUNNER_RESTART_CHANNEL],
      {
        notification: (channel, payload) => this.onNotification(channel, payload),
        reconnected: () => this.poll(),
        error: (error) => this.report('the LISTEN connection failed', error),
      },
    );
    await listener.start();
    this.listener = listener;
    this.pollTimer = setInterval(() => this.poll(), this.options.pollMs ?? 1_000);
    this.wake();
  }

  private async stopLoop(): Promise<void> {
    clearInterval(this.pollTimer);
    this.pollTimer = undefined;
    const listener = this.listener;
    this.listener = undefined;
    await listener?.close();
  }

  private onNotification(channel: string, payload: string): void {
    if (channel === WORKLOAD_CREATED_CHANNEL) this.wake();
    else if (channel === WORKLOAD_UPDATED_CHANNEL) {
      const update = parseWorkloadUpdate(payload);
      const entry = this.jobs.get(update.id);
      if (!entry || entry.job.stopping) return;
      // The payload carries the committed row; a bare id (row too big) is re-read.
      if (!update.row) void this.checkStopRequest(entry.job);
      else if (update.row.stopRequested) entry.job.requestStop('user');
    } else if (channel === RUNNER_RESTART_CHANNEL && (payload === this.id || payload === '*')) {
      void this.restart().catch((error) => this.report('restart failed', error));
    }
  }

  private async checkStopRequest(job: WorkloadJob): Promise<void> {
    try {
      const row = await getWorkloadRow(this.pool, job.id);
      if (row?.stopRequested) job.requestStop('user');
    } catch (error) {
      this.report('cannot read the workload', error, job.id);
    }
  }

  private poll(): void {
    this.wake();
    if (this.jobs.size === 0) return;
    stopRequestedIds(this.pool, this.id).then(
      (ids) => {
        for (const id of ids) this.jobs.get(id)?.job.requestStop('user');
      },
      (error) => this.report('cannot read stop requests', error),
    );
  }

  /** Runs the claim loop now (at most one claim statement in flight; a wake during it runs another). */
  private wake(): void {
    if (this.state !== 'started' || !this.listener) return;
    if (this.claiming) {
      this.claimAgain = true;
      return;
    }
    this.claiming = this.claim()
      .catch((error) => this.report('claiming failed', error))
      .finally(() => {
        this.claiming = undefined;
        if (this.claimAgain) {
          this.claimAgain = false;
          this.wake();
        }
      });
  }

  private async claim(): Promise<void> {
    const free = this.concurrency - this.inProgress;
    if (free <= 0) return;
    const claimed = await claimWorkloads(this.pool, this.id, free);
    for (const claim of claimed) this.launch(new WorkloadJob(this.jobDeps(), claim));
    // A full batch: there may be more waiting.
    if (claimed.length === free) this.claimAgain = true;
  }

  private jobDeps() {
    return {
      pool: this.sharedPool,
      config: this.options.config,
      runnerId: this.id,
      logger: this.logger,
      executors: this.executors,
      baseEnv: this.options.baseEnv,
      serviceHost: this.options.serviceHost ?? '127.0.0.1',
      onRestartScheduled: (restart: WorkloadRow) => this.wakeAt(restart.scheduledAt),
      sampler: this.sampler,
    };
  }

  /** Claims at `at` (a restart's end of backoff) instead of at the next poll after it. */
  private wakeAt(at: Date | null): void {
    if (!at || this.state !== 'started') return;
    // A few ms late rather than early: the database's clock decides, and an early claim finds nothing.
    const timer = setTimeout(
      () => {
        this.restartTimers.delete(timer);
        this.wake();
      },
      Math.max(0, at.getTime() - Date.now()) + 5,
    );
    this.restartTimers.add(timer);
  }

  private launch(job: WorkloadJob): void {
    this.inProgress++;
    const done = (async () => {
      let running = false;
      try {
        running = (await this.queue.add(() => job.advance())) === true;
      } finally {
        this.inProgress--;
        this.wake();
      }
      if (running) await job.supervise();
    })()
      .catch((error) => this.report('the workload failed inside the runner', error, job.id))
      .finally(async () => {
        await job.close().catch((error) => this.report('the workload log failed', error, job.id));
        this.jobs.delete(job.id);
      });
    this.jobs.set(job.id, { job, done });
  }

  private beat(): void {
    if (this.state !== 'started' || this.restarting) return;
    heartbeat(this.pool, this.id).then(
      ({ restartDue }) => {
        if (restartDue) void this.restart().catch((error) => this.report('restart failed', error));
      },
      (error) => this.report('heartbeat failed', error),
    );
    if (++this.beats % ORPHAN_SWEEP_EVERY === 0) {
      this.sweepOrphans().catch((error) => this.report('orphan sweep failed', error));
    }
  }

  /**
   * Fails live workloads of runners that stopped heartbeating long ago
   * (crashed, killed), then removes what such runners left: working copies
   * and cgroups on this host (anything still running in them is killed),
   * containers on this runner's Docker engine.
   */
  private async sweepOrphans(): Promise<void> {
    for (const row of await orphanedWorkloads(this.pool, this.id)) {
      if (await failOrphan(this.pool, row)) {
        this.logger.warn(
          { workloadId: row.id, stage: row.stage, ownerRunnerId: row.runnerId },
          `Workload failed: its runner ${row.runnerId} stopped responding`,
        );
      }
    }
    // What dead runners left: a failure here is reported, and the next sweep tries again.
    try {
      if (this.executors.local) {
        for (const id of await sweepLeftovers(this.pool, this.options.config.workDir))
          this.log(`Workload ${id}: removed its working copy and cgroup, left by a runner that is gone`);
      }
      if (this.executors.docker) await removeOrphanContainers(this.pool, this.options.config, this.log);
    } catch (error) {
      this.report('sweeping what gone runners left failed', error);
    }
  }

  private report(what: string, error: unknown, workloadId?: string): void {
    const fields = workloadId ? { workloadId, err: error } : { err: error };
    this.logger.error(fields, `Runner: ${what}: ${(error as Error).message ?? String(error)}`);
  }
}
