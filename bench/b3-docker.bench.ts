import { execFile } from 'node:child_process';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type Docker from 'dockerode';
import { dockerClient } from '../runner/executors/docker-engine.ts';
import { pingEngine } from '../runner/executors/docker-probe.ts';
import { acceptsTcp } from '../runner/readiness.ts';
import {
  CreateDeploymentDocument,
  CreateProjectDocument,
  CreateWorkloadDocument,
  createSdk,
  StopWorkloadDocument,
  WorkloadLogsDocument,
  WorkloadUpdatedDocument,
} from '../sdk/index.ts';
import type { Benchmark, BenchResult } from './harness.ts';
import { API_TOKEN, startApiProcess } from './live-logs.ts';
import { median } from './stats.ts';

/**
 * B3-docker: createWorkload → `running` for a Dockerfile service (validate,
 * the build stage — an unchanged context reuses the image of the previous
 * workload without `docker build` —, create + attach + start, TCP
 * readiness), next to a plain `docker run -d` of the same image (the docker
 * CLI) until its port accepts TCP, polled every 20 ms like the runner, in
 * the same run. Goal: ≤ 1.3× the plain run. A stricter reference, the same
 * container created and started through the engine's API (no CLI), is
 * reported next to it. Reported as not met, with a note, when no engine
 * answers. The API runs with its runner in a process of its own, as
 * `npm start` does; the client (this process) creates the workload and
 * follows it over graphql-ws as any client would. Each round starts with
 * the next of the three, so none always runs right after another's cleanup.
 */
const ROUNDS = 9;
const execFileAsync = promisify(execFile);
/** The baseline's TCP polling interval: the runner's readiness polling (runner/readiness.ts). */
const RETRY_MS = 20;
const fixture = fileURLToPath(new URL('../test/fixtures/docker-hello/', import.meta.url));

/** Polls `port` every RETRY_MS until it accepts TCP; returns ms since `started`. */
async function untilAccepting(port: number, started: number): Promise<number> {
  const deadline = Date.now() + 30_000;
  while (!(await acceptsTcp('127.0.0.1', port))) {
    if (Date.now() > deadline) throw new Error(`plain docker run: port ${port} never accepted`);
    await sleep(RETRY_MS);
  }
  return performance.now() - started;
}

/**
 * The baseline: `docker run -d` of `image` listening on `port` (the
 * docker CLI, as a user would start it), until the port accepts TCP; returns ms.
 */
async function plainCliRun(
  docker: Docker,
  image: string,
  port: number,
  networkMode: string,
): Promise<number> {
  const network =
    networkMode === 'host'
      ? ['--network', 'host', '-e', 'HOST=127.0.0.1']
      : ['-p', `127.0.0.1:${port}:${port}`, '-e', 'HOST=0.0.0.0'];
  const started = performance.now();
  const { stdout } = await execFileAsync('docker', ['run', '-d', ...network, '-e', `PORT=${port}`, image]);
  try {
    return await untilAccepting(port, started);
  } finally {
    await docker.getContainer(stdout.trim()).remove({ force: true });
  }
}

/** The same through the engine's API (create + start, no CLI): the engine's own cost, a stricter reference. */
async function plainApiRun(
  docker: Docker,
  image: string,
  port: number,
  networkMode: string,
): Promise<number> {
  const portSpec = `${port}/tcp`;
  const started = performance.now();
  const container = await docker.createContainer({
    Image: image,
    Env: [`PORT=${port}`, `HOST=${networkMode === 'host' ? '127.0.0.1' : '0.0.0.0'}`],
    ...(networkMode === 'host' ? {} : { ExposedPorts: { [portSpec]: {} } }),
    HostConfig:
      networkMode === 'host'
        ? { NetworkMode: 'host' }
        : { PortBindings: { [portSpec]: [{ HostIp: '127.0.0.1', HostPort: String(port) }] } },
  });
  try {
    await container.start();
    return await untilAccepting(port, started);
  } finally {
    await container.remove({ force: true });
  }
}

const bench: Benchmark = {
  id: 'B3-docker',
  title: 'createWorkload → running in Docker vs a plain docker run of the same image',
  async run(ctx): Promise<BenchResult> {
    const goal = '≤ 1.3× a plain `docker run -d` of the same image → TCP ready';
    const dockerHost = process.env.DOCKER_HOST || undefined;
    const engine = await pingEngine({ dockerHost });
    if (!engine.ok) {
      return {
        measurements: [],
        baseline: { name: 'plain docker run', value: Number.NaN, unit: 'ms' },
        ratio: Number.NaN,
        goal,
        met: false,
        notes: [
          `skipped: ${engine.reason}. Start one with: bash scripts/docker/start-engine.sh && export DOCKER_HOST=unix:///run/agentforge-docker.sock`,
        ],
      };
    }
    const docker = dockerClient({ dockerHost });
    const bridge = (await docker.listNetworks({ filters: { name: ['bridge'] } })).some(
      (n) => n.Name === 'bridge',
    );
    const networkMode = process.env.DOCKER_NETWORK_MODE || (bridge ? 'bridge' : 'host');
    const base = 20_000 + Math.floor(Math.random() * 199) * 50;
    const rootPath = await mkdtemp(join(tmpdir(), 'agentforge-b3-'));
    await cp(fixture, join(rootPath, 'svc'), { recursive: true });
    // The API with its runner in a process of its own, as `npm start` runs them; the client here.
    const server = await startApiProcess(await ctx.createDatabase(), {
      runner: true,
      env: {
        WORKLOAD_PORT_RANGE: `${base}-${base + 24}`,
        DOCKER_NETWORK_MODE: networkMode,
        ...(dockerHost ? { DOCKER_HOST: dockerHost } : {}),
      },
    });
    const { url } = server;
    const sdk = createSdk({ url, token: API_TOKEN });
    const repositories: string[] = [];
    try {
      const { createProject } = await sdk.request(CreateProjectDocument, { input: { name: 'b3', rootPath } });
      const { createDeployment } = await sdk.request(CreateDeploymentDocument, {
        input: { projectId: createProject.id, serviceName: 'svc', servicePath: 'svc', executor: 'docker' },
      });
      repositories.push(`agentforge/${createDeployment.id}`);

      /** Where a workload's time went: from creation to the first entry of each stage (log timestamps). */
      const phases: Record<string, number[]> = { claim: [], validate: [], build: [], deploy: [] };
      /** The deploy stage split at its own log lines: container started, ready, running. */
      const deploySteps: Record<string, number[]> = { start: [], ready: [], running: [] };
      const recordPhases = async (id: string, createdAt: string) => {
        const { workload } = await sdk.request(WorkloadLogsDocument, { id, first: 10_000 });
        const first = (stage: string) =>
          Date.parse(workload?.logs.find((l) => l.stage === stage)?.timestamp ?? Number.NaN.toString());
        const at = [
          Date.parse(createdAt),
          first('validate'),
          first('build'),
          first('deploy'),
          first('running'),
        ];
        ['claim', 'validate', 'build', 'deploy'].forEach((name, i) => {
          phases[name]?.push((at[i + 1] ?? Number.NaN) - (at[i] ?? Number.NaN));
        });
        const line = (prefix: string) =>
          Date.parse(workload?.logs.find((l) => l.message.startsWith(prefix))?.timestamp ?? 'none');
        const steps = [at[3], line('Waiting for health check'), line('✓ Service healthy'), at[4]];
        ['start', 'ready', 'running'].forEach((name, i) => {
          deploySteps[name]?.push((steps[i + 1] ?? Number.NaN) - (steps[i] ?? Number.NaN));
        });
      };

      /** One workload to running; returns ms and the image it ran. */
      const ours = async (): Promise<{ ms: number; image: string }> => {
        const started = performance.now();
        const { createWorkload } = await sdk.request(CreateWorkloadDocument, {
          input: { deploymentId: createDeployment.id },
        });
        const controller = new AbortController();
        let reached = '';
        let ms = Number.NaN;
        await sdk
          .subscribe(
            WorkloadUpdatedDocument,
            { workloadId: createWorkload.id },
            ({ workloadUpdated }) => {
              if (reached || !['running', 'failed', 'stopped'].includes(workloadUpdated.stage)) return;
              ms = performance.now() - started;
              reached = workloadUpdated.stage;
              controller.abort();
            },
            controller.signal,
          )
          .catch((error: unknown) => {
            if (!controller.signal.aborted) throw error;
          });
        if (reached !== 'running')
          throw new Error(`workload ${createWorkload.id} ended ${reached || 'unknown'}`);
        await sdk.request(StopWorkloadDocument, { id: createWorkload.id });
        await recordPhases(createWorkload.id, createWorkload.createdAt);
        return { ms, image: `agentforge/${createDeployment.id}:${createWorkload.id}` };
      };

      // Warm-up: the first build fills the engine's cache, as it would for any redeploy.
      // Each workload's image replaces the previous one (older images are pruned;
      // an unchanged context keeps the same image under a new tag), so the plain
      // run always uses the image of the latest workload.
      const plainPort = base + 40;
      let image = (await ours()).image;
      await plainCliRun(docker, image, plainPort, networkMode);
      await plainApiRun(docker, image, plainPort, networkMode);
      const times: Record<'ours' | 'cli' | 'api', number[]> = { ours: [], cli: [], api: [] };
      const runs: Record<keyof typeof times, () => Promise<number>> = {
        ours: async () => {
          const result = await ours();
          image = result.image;
          return result.ms;
        },
        cli: () => plainCliRun(docker, image, plainPort, networkMode),
        api: () => plainApiRun(docker, image, plainPort, networkMode),
      };
      const order = ['ours', 'cli', 'api'] as const;
      for (let round = 0; round < ROUNDS; round++) {
        // Each round starts with the next of the three, so none always follows another's cleanup.
        const turn = [...order.slice(round % 3), ...order.slice(0, round % 3)];
        for (const name of turn) times[name].push(await runs[name]());
        ctx.log(
          `round ${round + 1} (${turn.join(', ')}): ours ${times.ours.at(-1)?.toFixed(0)} ms, docker run ${times.cli.at(-1)?.toFixed(0)} ms, API create + start ${times.api.at(-1)?.toFixed(0)} ms`,
        );
      }
      const ourMedian = median(times.ours);
      const cliMedian = median(times.cli);
      const apiMedian = median(times.api);
      const ratio = ourMedian / cliMedian;
      return {
        measurements: [{ name: 'createWorkload → running, median', value: ourMedian, unit: 'ms' }],
        baseline: { name: '`docker run -d` → TCP ready, median', value: cliMedian, unit: 'ms' },
        ratio,
        goal,
        met: ratio <= 1.3,
        notes: [
          `${ROUNDS} rounds after one warm-up, each starting with the next of ours / docker run / API create + start, network mode ${networkMode}; ours includes validate and the build stage (the unchanged context reuses the image: no docker build)`,
          `baseline as the issue gives it: \`docker run -d\` (the docker CLI) of the same image, then a TCP connect every ${RETRY_MS} ms until one is accepted — the runner's readiness polling interval, so both wait for readiness the same way`,
          `stricter reference, the engine's own cost: container create + start through the API (no CLI), then the same polling: median ${apiMedian.toFixed(0)} ms, ours/that ${(ourMedian / apiMedian).toFixed(2)}×`,
          `median ms from creation to claim ${median(phases.claim ?? []).toFixed(0)}, then validate ${median(phases.validate ?? []).toFixed(0)}, build ${median(phases.build ?? []).toFixed(0)}, deploy to running ${median(phases.deploy ?? []).toFixed(0)}`,
          `deploy to running, median ms: port + container create/attach/start ${median(deploySteps.start ?? []).toFixed(0)}, until TCP ready ${median(deploySteps.ready ?? []).toFixed(0)}, until running ${median(deploySteps.running ?? []).toFixed(0)}`,
        ],
      };
    } finally {
      await sdk.close();
      await server.stop();
      // By tag, not image id: other deployments may share the image.
      for (const repository of repositories) {
        for (const image of await docker.listImages({ filters: { reference: [repository] } })) {
          for (const tag of image.RepoTags ?? []) await docker.getImage(tag).remove();
        }
      }
      await rm(rootPath, { recursive: true, force: true });
    }
  },
};

export default bench;
