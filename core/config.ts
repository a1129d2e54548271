/**
 * Settings read from the environment (docs/contract.md, "Settings"). Parsed once, validated,
 * and passed down explicitly: nothing else in the code reads `process.env`.
 */
export interface Config {
  databaseUrl: string | undefined;
  host: string;
  port: number;
  apiToken: string | undefined;
  runnerEnabled: boolean;
  runnerConcurrency: number;
  portRange: { from: number; to: number };
  healthcheckTimeoutMs: number;
  stopTimeoutMs: number;
  dockerHost: string | undefined;
  dockerNetworkMode: 'bridge' | 'host';
  dataDir: string;
}

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

export function loadConfig(env: Env = process.env): Config {
  const host = env.HOST || '127.0.0.1';
  const apiToken = env.AGENTFORGE_API_TOKEN || undefined;
  if (!apiToken && !isLoopback(host)) {
    throw new ConfigError(
      `HOST=${host} is not a loopback address; set AGENTFORGE_API_TOKEN to serve beyond this machine`,
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
  return {
    databaseUrl: env.DATABASE_URL || undefined,
    host,
    port: int(env, 'PORT', 4000, 0, 65535),
    apiToken,
    runnerEnabled: ['on', '1', 'true'].includes(runner),
    runnerConcurrency: int(env, 'RUNNER_CONCURRENCY', 4, 1, 256),
    portRange: portRange(env.WORKLOAD_PORT_RANGE),
    healthcheckTimeoutMs: int(env, 'HEALTHCHECK_TIMEOUT_MS', 30_000, 100, 3_600_000),
    stopTimeoutMs: int(env, 'STOP_TIMEOUT_MS', 10_000, 0, 3_600_000),
    dockerHost: env.DOCKER_HOST || undefined,
    dockerNetworkMode: networkMode,
    dataDir: env.AGENTFORGE_DATA_DIR || '.data',
  };
}
