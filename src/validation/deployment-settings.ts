import { RESTART_POLICIES, type RestartPolicy } from '../../core/stages.ts';
import { badInput } from '../errors.ts';

/**
 * The running-stage settings of a deployment (periodic health check and
 * restart policy), checked as a whole: on create against the defaults, on
 * update against the values the deployment has, so a combination is judged
 * as it will be stored. Throws BAD_USER_INPUT naming the field; touches nothing.
 */
export interface RunningSettings {
  healthCheckIntervalMs: number;
  healthCheckTimeoutMs: number;
  healthCheckFailureThreshold: number;
  restartPolicy: RestartPolicy;
  maxRestarts: number;
}

export const RUNNING_DEFAULTS: RunningSettings = {
  healthCheckIntervalMs: 10_000,
  healthCheckTimeoutMs: 2_000,
  healthCheckFailureThreshold: 3,
  restartPolicy: 'never',
  maxRestarts: 5,
};

export const MIN_INTERVAL_MS = 100;
export const MAX_INTERVAL_MS = 3_600_000;
export const MAX_FAILURE_THRESHOLD = 1_000;
export const MAX_RESTARTS = 100;

type Given = { [K in keyof RunningSettings]?: RunningSettings[K] | null };

/** `given` over `base`: a field left out (undefined) keeps its value; null is refused. */
export function parseRunningSettings(
  given: Given,
  base: RunningSettings = RUNNING_DEFAULTS,
): RunningSettings {
  const s = {} as Record<keyof RunningSettings, unknown>;
  for (const field of Object.keys(RUNNING_DEFAULTS) as (keyof RunningSettings)[]) {
    const value = given[field];
    if (value === null) throw badInput(`${field} cannot be null: leave it out to keep its value`, field);
    s[field] = value === undefined ? base[field] : value;
  }
  return check(s as RunningSettings, given);
}

function check(s: RunningSettings, given: Given): RunningSettings {
  const interval = s.healthCheckIntervalMs;
  if (interval !== 0 && (interval < MIN_INTERVAL_MS || interval > MAX_INTERVAL_MS)) {
    throw badInput(
      `healthCheckIntervalMs is ${interval}: expected 0 (no periodic checks) or ${MIN_INTERVAL_MS} to ${MAX_INTERVAL_MS} (1 h)`,
      'healthCheckIntervalMs',
    );
  }
  const timeout = s.healthCheckTimeoutMs;
  if (timeout < 1 || timeout > MAX_INTERVAL_MS) {
    throw badInput(
      `healthCheckTimeoutMs is ${timeout}: expected 1 to ${MAX_INTERVAL_MS} (1 h), below healthCheckIntervalMs`,
      'healthCheckTimeoutMs',
    );
  }
  if (interval !== 0 && timeout >= interval) {
    // Name the field the client changed; when both or neither, the timeout.
    const field =
      given.healthCheckIntervalMs !== undefined && given.healthCheckTimeoutMs === undefined
        ? 'healthCheckIntervalMs'
        : 'healthCheckTimeoutMs';
    throw badInput(
      `healthCheckTimeoutMs (${timeout}) must be below healthCheckIntervalMs (${interval}): a probe has to end before the next one starts`,
      field,
    );
  }
  const threshold = s.healthCheckFailureThreshold;
  if (threshold < 1 || threshold > MAX_FAILURE_THRESHOLD) {
    throw badInput(
      `healthCheckFailureThreshold is ${threshold}: expected 1 to ${MAX_FAILURE_THRESHOLD} failures in a row`,
      'healthCheckFailureThreshold',
    );
  }
  if (!RESTART_POLICIES.includes(s.restartPolicy)) {
    throw badInput(`restartPolicy must be one of ${RESTART_POLICIES.join(', ')}`, 'restartPolicy');
  }
  if (s.maxRestarts < 0 || s.maxRestarts > MAX_RESTARTS) {
    throw badInput(`maxRestarts is ${s.maxRestarts}: expected 0 to ${MAX_RESTARTS}`, 'maxRestarts');
  }
  return s;
}
