import type { Config, Limits } from '../../core/config.ts';
import type { EnvVar } from '../../core/db/entities/deployment.ts';
import type { WorkloadStage } from '../../core/stages.ts';
import type { LogSink } from '../logs/types.ts';
import type { UsageReading } from '../resources/usage.ts';

/**
 * An executor turns a validated service directory into a running service:
 * `local` (a process group on this host) or `docker` (a container through
 * dockerode). The stage code (runner/stages) is the same for both.
 */
export interface StageContext {
  workloadId: string;
  deploymentId: string;
  runnerId: string;
  /** Absolute, symlink-resolved directory of the service (inside the project root). */
  serviceDir: string;
  /** Relative path as the user gave it, for log lines. */
  servicePath: string;
  /** The project root (resolved), inside which `serviceDir` was found. */
  rootPath: string;
  /** The deployment's limits, defaults filled in. */
  limits: Limits;
  env: EnvVar[];
  /** The clean base environment for commands and services (PATH, HOME…); `env` goes on top. */
  baseEnv: Record<string, string>;
  healthCheckPath: string | null;
  config: Config;
  /** Writes log entries for the current stage. */
  log: LogSink;
  /** Aborted when the workload is cancelled or the runner shuts down. */
  signal: AbortSignal;
  /** The stage being run, for log entries. */
  stage(): WorkloadStage;
}

export interface ServiceExit {
  /** Exit code, or null when killed by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the kernel killed it for exceeding its memory limit: that limit, in MB. */
  outOfMemoryMb?: number;
}

/** The contract's error for a service (or command) killed for memory. */
export function outOfMemoryMessage(limitMb: number): string {
  return `Out of memory: exceeded the ${limitMb} MB limit`;
}

export interface RunningService {
  /** Process-group leader (local) — recorded as the workload's pid. */
  pid?: number;
  /** Container id (docker) — recorded as the workload's containerId. */
  containerId?: string;
  /** Where readiness is checked when not HOST:port (a bridged container's own address). */
  readyAt?: { host: string; port: number };
  /**
   * Reads what the service uses now (a container's stats); null when it
   * cannot be read. Without it, a service with a pid is read from /proc by
   * its process group (runner/resources).
   */
  readUsage?(): Promise<UsageReading | null>;
  /** Resolves when the service exits, for whatever reason. Never rejects. */
  exited: Promise<ServiceExit>;
  /** SIGTERM (docker stop), SIGKILL after timeoutMs, and clean up (remove the container). Idempotent. */
  stop(timeoutMs: number): Promise<ServiceExit>;
}

export interface ServiceExecutor<Prepared = unknown> {
  readonly name: 'local' | 'docker';
  /**
   * Optional: the part of build that only reads (the service directory, the
   * engine's state), started as soon as validate has found the service
   * directory and before it has chosen this executor, so that it overlaps
   * the rest of validate (see build-preparation.ts). It writes no log entry
   * and changes nothing anywhere; when validate fails or chooses another
   * executor, it is aborted (`ctx.signal`) and its result dropped. It
   * rejects with the StageError build would have failed with.
   */
  prepare?(ctx: StageContext): Promise<Prepared>;
  /**
   * Installs dependencies / builds the image; every output line is a log
   * entry. Rejects on failure. `prepared` is what `prepare` started for this
   * workload, if it did; without it build prepares itself.
   */
  build(ctx: StageContext, prepared?: Promise<Prepared>): Promise<void>;
  /** Starts the service listening on `port` with PORT, HOST and the deployment's env. */
  start(ctx: StageContext, port: number, host: string): Promise<RunningService>;
  /** Releases what build left behind (images of old workloads…). Optional. */
  cleanup?(ctx: StageContext): Promise<void>;
  /**
   * Called once when the workload has ended, whatever way, after its
   * service is stopped: removes what the workload had on this host (its
   * working copy, its cgroup). Optional; never rejects.
   */
  release?(ctx: StageContext): Promise<void>;
  /**
   * What the workload uses now (memory bytes, CPU seconds so far,
   * processes), read from its cgroup; undefined when there is none.
   * Optional.
   */
  usage?(ctx: StageContext): Promise<ResourceUsage | undefined>;
}

export interface ResourceUsage {
  memoryBytes: number;
  cpuSeconds: number;
  pids: number;
}

/** Thrown for an expected failure of a stage: the message becomes the workload's error. */
export class StageError extends Error {
  override name = 'StageError';
}
