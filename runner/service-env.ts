import path from 'node:path';
import type { EnvVar } from '../core/db/entities/deployment.ts';

/**
 * Variables of the runner's own environment a service and its build tools
 * may see; everything else (DATABASE_URL, tokens…) stays with the runner.
 */
const INHERITED = ['PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR', 'TERM'];

/** The clean base environment, taken from the runner's own (passed in by the entry point). */
export function baseServiceEnv(from: Record<string, string | undefined>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of INHERITED) {
    const value = from[name];
    if (value !== undefined) env[name] = value;
  }
  // The node running the runner comes first, so `node` and `npm` resolve to it.
  const nodeDir = path.dirname(process.execPath);
  env.PATH = env.PATH ? `${nodeDir}${path.delimiter}${env.PATH}` : nodeDir;
  return env;
}

/** Base env, then the deployment's env, then what the runner decides (PORT, HOST) on top. */
export function serviceEnv(
  base: Record<string, string>,
  deploymentEnv: EnvVar[],
  extra: Record<string, string> = {},
): Record<string, string> {
  const env = { ...base };
  for (const { name, value } of deploymentEnv) env[name] = value;
  return { ...env, ...extra };
}
