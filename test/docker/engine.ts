import { describe } from 'vitest';
import { type Config, loadConfig } from '../../core/config.ts';
import { dockerClient } from '../../runner/executors/docker-engine.ts';
import { pingEngine } from '../../runner/executors/docker-probe.ts';

/**
 * The one place that decides whether the Docker tests run. They need a real
 * engine (DOCKER_HOST, or the default socket). Without one they are skipped
 * with a message saying how to start one, except under CI=true, where a
 * missing engine fails the run instead.
 */
export const ENABLE_HINT =
  'bash scripts/docker/start-engine.sh && export DOCKER_HOST=unix:///run/agentforge-docker.sock';

export interface DockerTestEngine {
  ok: boolean;
  /** Why the tests are skipped, when they are. */
  reason: string;
  /** DOCKER_HOST and DOCKER_NETWORK_MODE as the tests should pass them to the app or runner. */
  env: Record<string, string>;
  config: Config;
  /** Names of the engine's networks: `bridge` is missing when dockerd runs with --bridge=none. */
  networks: Set<string>;
}

async function detect(): Promise<DockerTestEngine> {
  const dockerHost = process.env.DOCKER_HOST || undefined;
  const state = await pingEngine({ dockerHost });
  if (!state.ok) {
    if (process.env.CI === 'true') {
      throw new Error(`CI=true and no Docker engine: ${state.reason}. Start one with: ${ENABLE_HINT}`);
    }
    const reason = `${state.reason}. Enable with: ${ENABLE_HINT}`;
    console.warn(`Docker tests skipped: ${reason}`);
    return { ok: false, reason, env: {}, config: loadConfig({}), networks: new Set() };
  }
  // DOCKER_NETWORK_MODE when set; else bridge when the engine has one (the
  // default), host when it runs with --bridge=none as on the CI machines.
  const networks = new Set((await dockerClient({ dockerHost }).listNetworks()).map((n) => n.Name));
  const mode = process.env.DOCKER_NETWORK_MODE || (networks.has('bridge') ? 'bridge' : 'host');
  const env: Record<string, string> = { DOCKER_NETWORK_MODE: mode };
  if (dockerHost) env.DOCKER_HOST = dockerHost;
  return { ok: true, reason: '', env, config: loadConfig({ HOST: '127.0.0.1', ...env }), networks };
}

export const dockerEngine: DockerTestEngine = await detect();

/** `describe` when an engine answers, else a skipped suite whose name says why and how to enable it. */
export function describeDocker(name: string, body: () => void): void {
  if (dockerEngine.ok) describe(name, body);
  else describe.skip(`${name} — skipped: ${dockerEngine.reason}`, body);
}
