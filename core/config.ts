import { isAbsolute, join, resolve } from 'node:path';
import { MIN_API_TOKEN_LENGTH } from './api-token.ts';

/**
 * Settings read from the environment (docs/contract.md, "Settings"). Parsed once, validated,
 * and passed down explicitly: nothing else in the code reads `process.env`.
 */
export interface Config {
  databaseUrl: string | undefined;
  host: string;
  port: number;
  /** AGENTFORGE_API_TOKEN; unset: the API generates one in the data directory (see api-token.ts). */
  apiToken: string | undefined;
  /** Origins besides the server's own that browsers may call it from (AGENTFORGE_CORS_ORIGINS). */
  corsOrigins: string[];
  runnerEnabled: boolean;
  runnerConcurrency: number;
  portRange: { from: number; to: number };
  healthcheckTimeoutMs: number;
  stopTimeoutMs: number;
  dockerHost: string | undefined;
  dockerNetworkMode: 'bridge' | 'host';
  dataDir: string;
  /** Where workloads' working copies live (AGENTFORGE_WORK_DIR, default <dataDir>/workloads), absolute. */
  workDir: string;
  /** `off`: local services run unconfined (AGENTFORGE_LOCAL_SANDBOX=off). */
  localSandbox: 'on' | 'off';
  /** AGENTFORGE_BWRAP: the bubblewrap binary; unset: looked for in the usual places. */
  bwrap: string | undefined;
  /** Fixed uid/gid for services (AGENTFORGE_SERVICE_UID/GID); unset: one per deployment. */
  serviceUid: number | undefined;
  serviceGid: number | undefined;
  /** AGENTFORGE_PROJECTS_ROOT: when non-empty, every project root must be inside one of these. */
  projectsRoots: string[];
  /** Limits a deployment gets when it names none (AGENTFORGE_DEFAULT_MEMORY_MB/CPUS/PIDS). */
  defaultLimits: Limits;
  /** Bytes of output stored per workload; later output is counted, not stored. */
  logMaxBytes: number;
  /** Days the log of an ended workload is kept (0: for ever). */
  logRetentionDays: number;
}

/** Resource limits of a deployment's workloads. MB means MiB. */
export interface Limits {
  memoryMb: number;
  cpus: number;
  pids: number;
}

/** The smallest limits a service can start with; the largest a setting may ask for. */
export const LIMIT_RANGES = {
  memoryMb: { min: 32, max: 1_048_576 },
  pids: { min: 8, max: 4_194_304 },
} as const;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Env = Record<string, string | undefined>;

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

function portRange(raw: string | undefined): { from: number; to: number } {
  const match = /^(\d+)-(\d+)$/.exec(raw ?? '3001-3999');
  const from = Number(match?.[1]);
  const to = Number(match?.[2]);
  if (!match || from < 1 || to > 65535 || from > to) {
    throw new ConfigError(`WORKLOAD_PORT_RANGE must look like 3001-3999 (1-65535, low-high), got "${raw}"`);
  }
  return { from, to };
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host);
}

function positiveNumber(env: Env, name: string, fallback: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0 || value > max) {
    throw new ConfigError(`${name} must be a number above 0 and at most ${max}, got "${raw}"`);
  }
  return value;
}

function projectsRoots(raw: string | undefined): string[] {
  const roots = (raw ?? '').split(':').filter((entry) => entry !== '');
  for (const root of roots) {
    if (!isAbsolute(root)) {
      throw new ConfigError(
        `AGENTFORGE_PROJECTS_ROOT must list absolute paths separated by ":", got "${root}"`,
      );
    }
  }
  return roots.map((root) => resolve(root));
}

function corsOrigins(raw: string | undefined): string[] {
  const origins: string[] = [];
  for (const item of (raw ?? '').split(',')) {
    const value = item.trim();
    if (value === '') continue;
    let url: URL | undefined;
    try {
      url = new URL(value);
    } catch {}
    if (
      !url ||
      (url.protocol !== 'http:' && url.protocol !== 'https:') ||
      url.origin !== value.replace(/\/$/, '')
    ) {
      throw new ConfigError(
        `AGENTFORGE_CORS_ORIGINS must be a comma-separated list of origins such as https://app.example:8443, got "${value}"`,
      );
    }
    origins.push(url.origin);
  }
  return origins;
}

export function loadConfig(env: Env = process.env): Config {
  const host = env.HOST || '127.0.0.1';
  const apiToken = env.AGENTFORGE_API_TOKEN || undefined;
  if (!apiToken && !isLoopback(host)) {
    throw new ConfigError(
      `HOST=${host} is not a loopback address; set AGENTFORGE_API_TOKEN to serve beyond this machine (the generated token is for a local install)`,
    );
  }
  if (apiToken && apiToken.length < MIN_API_TOKEN_LENGTH) {
    throw new ConfigError(
      `AGENTFORGE_API_TOKEN is ${apiToken.length} characters long: expected at least ${MIN_API_TOKEN_LENGTH} (e.g. openssl rand -base64 32)`,
    );
  }
  const networkMode = env.DOCKER_NETWORK_MODE || 'bridge';
  if (networkMode !== 'bridge' && networkMode !== 'host') {
    throw new ConfigError(`DOCKER_NETWORK_MODE must be "bridge" or "host", got "${networkMode}"`);
  }
  const runner = (env.AGENTFORGE_RUNNER || 'on').toLowerCase();
  if (!['on', 'off', '1', '0', 'true', 'false'].includes(runner)) {
    throw new ConfigError(`AGENTFORGE_RUNNER must be "on" or "off", got "${env.AGENTFORGE_RUNNER}"`);
  }
  const sandbox = (env.AGENTFORGE_LOCAL_SANDBOX || 'on').toLowerCase();
  if (sandbox !== 'on' && sandbox !== 'off') {
    throw new ConfigError(
      `AGENTFORGE_LOCAL_SANDBOX must be "on" or "off", got "${env.AGENTFORGE_LOCAL_SANDBOX}"`,
    );
  }
  const dataDir = env.AGENTFORGE_DATA_DIR || '.data';
  const uid = env.AGENTFORGE_SERVICE_UID
    ? int(env, 'AGENTFORGE_SERVICE_UID', 0, 1, 4_294_967_294)
    : undefined;
  const gid = env.AGENTFORGE_SERVICE_GID
    ? int(env, 'AGENTFORGE_SERVICE_GID', 0, 1, 4_294_967_294)
    : undefined;
  return {
    databaseUrl: env.DATABASE_URL || undefined,
    host,
    port: int(env, 'PORT', 4000, 0, 65535),
    apiToken,
    corsOrigins: corsOrigins(env.AGENTFORGE_CORS_ORIGINS),
    runnerEnabled: ['on', '1', 'true'].includes(runner),
    runnerConcurrency: int(env, 'RUNNER_CONCURRENCY', 4, 1, 256),
    portRange: portRange(env.WORKLOAD_PORT_RANGE),
    healthcheckTimeoutMs: int(env, 'HEALTHCHECK_TIMEOUT_MS', 30_000, 100, 3_600_000),
    stopTimeoutMs: int(env, 'STOP_TIMEOUT_MS', 10_000, 0, 3_600_000),
    dockerHost: env.DOCKER_HOST || undefined,
    dockerNetworkMode: networkMode,
    dataDir,
    workDir: resolve(env.AGENTFORGE_WORK_DIR || join(dataDir, 'workloads')),
    localSandbox: sandbox,
    bwrap: env.AGENTFORGE_BWRAP || undefined,
    serviceUid: uid,
    serviceGid: gid ?? uid,
    projectsRoots: projectsRoots(env.AGENTFORGE_PROJECTS_ROOT),
    defaultLimits: {
      memoryMb: int(
        env,
        'AGENTFORGE_DEFAULT_MEMORY_MB',
        512,
        LIMIT_RANGES.memoryMb.min,
        LIMIT_RANGES.memoryMb.max,
      ),
      cpus: positiveNumber(env, 'AGENTFORGE_DEFAULT_CPUS', 1, 1024),
      pids: int(env, 'AGENTFORGE_DEFAULT_PIDS', 256, LIMIT_RANGES.pids.min, LIMIT_RANGES.pids.max),
    },
    logMaxBytes: int(env, 'AGENTFORGE_LOG_MAX_BYTES', 256 * 1024 * 1024, 1024, Number.MAX_SAFE_INTEGER),
    logRetentionDays: int(env, 'AGENTFORGE_LOG_RETENTION_DAYS', 30, 0, 36_500),
  };
}
