import { randomUUID } from 'node:crypto';
import PQueue from 'p-queue';
import type pg from 'pg';
import type { Config } from '../core/config.ts';
import { openPool } from '../core/db/pool.ts';
import { createPgListener, type PgListener } from '../core/listen/pg-listener.ts';
import { type Logger, lineWriter, silentLogger } from '../core/logger.ts';
import { type OrphanSweeper, startOrphanSweeper } from '../core/orphan-sweeper.ts';
import { claimWorkloads } from '../core/sql/claim.ts';
import { WORKLOAD_CREATED_CHANNEL } from '../core/sql/create-workload.ts';
import { RUNNER_RESTART_CHANNEL } from '../core/sql/runner-restart.ts';
import {
  heartbeat,
  markRestarted,
  markStopped,
  RUNNER_HEARTBEAT_MS,
  registerRunner,
  stopRequestedIds,
} from '../core/sql/runners.ts';
import { getWorkloadRow } from '../core/sql/transition.ts';
import { parseWorkloadUpdate, WORKLOAD_UPDATED_CHANNEL, type WorkloadRow } from '../core/sql/workload-row.ts';
import { isTerminal } from '../core/stages.ts';
import { removeOrphanContainers } from './executors/docker-orphans.ts';
import { createExecutors, type ExecutorRegistry } from './executors/index.ts';
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
  /** Heartbeat (lease renewal) and orphan sweep interval (default RUNNER_HEARTBEAT_MS). */
  heartbeatMs?: number;
  /** The process's logger; the runner logs through a child carrying its `runnerId`. */
  logger?: Logger;
  /** Time between two sweeps of the log retention (default 10 minutes; the first runs at start). */
  logRetentionEveryMs?: number;
}

/** Heartbeats between two removals of what gone runners left (30 s). */
const LEFTOVERS_EVERY = 15;

/** The runner's LISTEN connection in pg_stat_activity. */
export const RUNNER_LISTENER_APPLICATION_NAME = 'agentforge-runner-listen';

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
  private listener: PgListener | undefined;
  private sweeper: OrphanSweeper | undefined;
  /** False from a failed heartbeat to the next one that succeeds: no claims meanwhile. */
  private databaseReachable = true;
  private readonly queue: PQueue;
  private readonly jobs = new Map<string, { job: WorkloadJob; done: Promise<void> }>();
  /** Jobs claimed and not yet running or ended: what the concurrency bound counts. */
  private inProgress = 0;
  private state: 'new' | 'started' | 'stopping' | 'stopped' = 'new';
  private claiming: Promise<void> | undefined;
  private claimAgain = false;
  private pollTimer: NodeJS.Timeout | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private beats = 0;
  /** Wake-ups at the end of restart backoffs this runner scheduled. */
  private readonly restartTimers = new Set<NodeJS.Timeout>();
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
    this.sweeper = startOrphanSweeper({
      pool: this.sharedPool,
      selfId: this.id,
      everyMs: this.options.heartbeatMs ?? RUNNER_HEARTBEAT_MS,
      log: this.log,
    });
    await this.sweeper.sweep();
    // Not awaited: a Docker engine that does not answer must not keep the runner from claiming.
    void this.removeLeftovers();
    await this.startLoop();
    this.heartbeatTimer = setInterval(() => this.beat(), this.options.heartbeatMs ?? RUNNER_HEARTBEAT_MS);
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
    await this.sweeper?.stop();
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
    return openPool({
      connectionString: this.options.databaseUrl,
      max: this.options.config.runnerConcurrency + 4,
      applicationName: 'agentforge-runner',
      onIdleError: (error) => this.report('an idle database connection failed', error),
    });
  }

  private async startLoop(): Promise<void> {
    const listener = createPgListener({
      url: this.options.databaseUrl,
      channels: [WORKLOAD_CREATED_CHANNEL, WORKLOAD_UPDATED_CHANNEL, RUNNER_RESTART_CHANNEL],
      applicationName: RUNNER_LISTENER_APPLICATION_NAME,
      onNotification: (channel, payload) => this.onNotification(channel, payload),
      // Catch-up: what was notified while the connection was down is read from the tables.
      onReconnect: () => this.catchUp(),
      onError: (error) => this.report('the LISTEN connection failed', error),
    });
    await listener.ready;
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
      if (!entry) return;
      // The payload carries the committed row; a bare id (row too big) is re-read.
      if (!update.row) void this.checkRow(entry.job);
      else this.follow(entry.job, update.row);
    } else if (channel === RUNNER_RESTART_CHANNEL && (payload === this.id || payload === '*')) {
      void this.restart().catch((error) => this.report('restart failed', error));
    }
  }

  /**
   * Acts on a committed state of one of our workloads: a stop request stops
   * it; a terminal stage we did not write (the workload was failed as an
   * orphan while this runner could not renew its lease) means it is no
   * longer ours, and its service is stopped without recording anything.
   */
  private follow(job: WorkloadJob, row: WorkloadRow): void {
    if (isTerminal(row.stage)) {
      if (!isTerminal(job.currentStage)) job.abandon(row.stage);
    } else if (row.stopRequested && !job.stopping) job.requestStop('user');
  }

  private async checkRow(job: WorkloadJob): Promise<void> {
    try {
      const row = await getWorkloadRow(this.pool, job.id);
      if (row) this.follow(job, row);
    } catch (error) {
      this.report('cannot read the workload', error, job.id);
    }
  }

  /** After the LISTEN connection was down: claim what was created, re-read every job's row. */
  private catchUp(): void {
    this.wake();
    for (const { job } of this.jobs.values()) void this.checkRow(job);
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
    if (this.state !== 'started' || !this.listener || !this.databaseReachable) return;
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

  /**
   * Renews the lease. A runner that cannot reach the database stops
   * claiming (it could not record what it claimed) until a heartbeat gets
   * through again; the work it holds goes on, and its terminal stages are
   * retried until recorded (workload-job.ts).
   */
  private beat(): void {
    if (this.state !== 'started' || this.restarting) return;
    if (++this.beats % LEFTOVERS_EVERY === 0) void this.removeLeftovers();
    heartbeat(this.pool, this.id).then(
      ({ restartDue }) => {
        if (!this.databaseReachable) {
          this.databaseReachable = true;
          this.log(`Runner ${this.id}: the database answers again: claiming resumes`);
          this.catchUp();
        }
        if (restartDue) void this.restart().catch((error) => this.report('restart failed', error));
      },
      (error) => {
        if (this.databaseReachable) {
          this.databaseReachable = false;
          this.report('heartbeat failed, no claims until the database answers', error);
        }
      },
    );
  }

  /** Whether the runner currently claims work (false while its database is out of reach). */
  get claimsWork(): boolean {
    return this.state === 'started' && this.databaseReachable;
  }

  /**
   * Removes what runners that are gone left (their workloads are failed by
   * the sweeper): working copies and cgroups on this host (anything still
   * running in them is killed), containers on this runner's Docker engine.
   * A failure here is reported, and the next round tries again.
   */
  private async removeLeftovers(): Promise<void> {
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
