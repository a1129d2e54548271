import { describe, expect, it } from 'vitest';
import { StopWorkloadDocument } from '../../sdk/index.ts';
import { dockerEngine } from './engine.ts';
import { stackSuite } from './stack.ts';

/**
 * The Dockerfile service end to end (API → runner → docker executor) in each
 * DOCKER_NETWORK_MODE, set here for this file's own app and runner whatever
 * the environment says. Each mode runs when the engine has the network it
 * needs: `bridge` is missing when dockerd runs with --bridge=none.
 */
type Mode = 'bridge' | 'host';

function skipReason(mode: Mode): string | undefined {
  if (!dockerEngine.ok) return dockerEngine.reason;
  if (dockerEngine.networks.has(mode)) return undefined;
  return mode === 'bridge'
    ? 'the engine has no network named bridge (dockerd --bridge=none); scripts/docker/start-engine.sh starts one with a bridge of its own'
    : 'the engine has no network named host';
}

function describeMode(mode: Mode, body: () => void): void {
  const reason = skipReason(mode);
  const name = `docker workloads with DOCKER_NETWORK_MODE=${mode}`;
  if (!reason) {
    describe(name, body);
    return;
  }
  if (dockerEngine.ok) console.warn(`${name} skipped: ${reason}`);
  describe.skip(`${name} — skipped: ${reason}`, body);
}

for (const mode of ['bridge', 'host'] as const) {
  describeMode(mode, () => {
    const suite = stackSuite(
      { DOCKER_NETWORK_MODE: mode, HEALTHCHECK_TIMEOUT_MS: '4000', STOP_TIMEOUT_MS: '3000' },
      ['docker-hello', 'docker-never-listens'],
    );

    it('serves the URL on the allocated port, with the container on that network; stop removes it', async () => {
      const id = await suite.stack.deploy('docker-hello', 'docker');
      const running = await suite.stack.waitFor(id, ['running', 'failed']);
      expect(running).toMatchObject({ stage: 'running', executor: 'docker', error: null });
      const port = running.port ?? 0;
      expect(running.url).toBe(`http://127.0.0.1:${port}`);
      expect(await (await fetch(`http://127.0.0.1:${port}`)).text()).toBe('hello from docker');
      expect(await (await fetch(`http://127.0.0.1:${port}/env/PORT`)).text()).toBe(String(port));

      const info = await suite.docker.getContainer(running.containerId ?? '').inspect();
      expect(info.HostConfig.NetworkMode).toBe(mode);
      if (mode === 'bridge') {
        // Published: the allocated host port, on the runner's HOST, to the same port inside.
        expect(info.NetworkSettings.Ports[`${port}/tcp`]).toEqual([
          { HostIp: '127.0.0.1', HostPort: String(port) },
        ]);
        expect(info.NetworkSettings.Networks.bridge?.IPAddress).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
        expect(await (await fetch(`http://127.0.0.1:${port}/env/HOST`)).text()).toBe('0.0.0.0');
      } else {
        expect(Object.keys(info.NetworkSettings.Networks)).toEqual(['host']);
        expect(info.HostConfig.PortBindings ?? {}).toEqual({});
        expect(await (await fetch(`http://127.0.0.1:${port}/env/HOST`)).text()).toBe('127.0.0.1');
      }

      const { stopWorkload } = await suite.stack.app.gql(StopWorkloadDocument, { id });
      expect(stopWorkload).toMatchObject({ stage: 'stopped', exitCode: 0 });
      expect(await suite.containerExists(running.containerId ?? '')).toBe(false);
      await expect(fetch(`http://127.0.0.1:${port}`)).rejects.toThrow();
    });

    it('fails deploy when the container never listens (a published port alone is not ready)', async () => {
      const id = await suite.stack.deploy('docker-never-listens', 'docker');
      const failed = await suite.stack.waitFor(id, ['failed', 'running']);
      expect(failed).toMatchObject({ stage: 'failed', failedStage: 'deploy' });
      expect(failed.error).toMatch(/^Service was not ready within 4000 ms/);
      expect(await suite.containerExists(failed.containerId ?? '')).toBe(false);
    });
  });
}
