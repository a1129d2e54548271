import type Docker from 'dockerode';
import type { Config } from '../../core/config.ts';
import { buildImage, imageTag } from './docker-build.ts';
import { startContainer } from './docker-container.ts';
import { dockerClient } from './docker-engine.ts';
import { pruneDeploymentImages } from './docker-images.ts';
import {
  type BuildInput,
  deploymentImages,
  LABEL_CONTEXT,
  prepareBuild,
  reuseImage,
} from './docker-reuse.ts';
import type { RunningService, ServiceExecutor, StageContext } from './types.ts';

/** What build starts from: the packed context with its key, and the deployment's images. */
export interface DockerPreparation {
  input: BuildInput;
  images: Docker.ImageInfo[];
}

/**
 * The `docker` executor: builds the service's Dockerfile into an image
 * tagged agentforge/<deploymentId>:<workloadId> and runs it as a container
 * labelled with the workload, deployment and runner.
 *
 *   prepare → packs and hashes the context, lists the deployment's images
 *             (docker-reuse.ts); nothing changes on the engine
 *   build   → the image of an unchanged context (same key) is tagged again
 *             and reused (docker-reuse.ts); otherwise docker build
 *             (docker-build.ts), output streamed as log entries
 *   start   → create + attach + start (docker-container.ts)
 *   stop    → docker stop with the timeout, then remove (RunningService.stop)
 *   cleanup → removes this deployment's older images (docker-images.ts)
 */
export function createDockerExecutor(): ServiceExecutor<DockerPreparation> {
  // One client per engine address: the modem is cheap, but there is no
  // reason to make one per call.
  const clients = new Map<string, Docker>();
  const client = (config: Pick<Config, 'dockerHost'>) => {
    const key = config.dockerHost ?? '';
    let docker = clients.get(key);
    if (!docker) {
      docker = dockerClient(config);
      clients.set(key, docker);
    }
    return docker;
  };

  // The image id each workload's build produced, until its start takes it.
  const built = new Map<string, string>();

  // Packing + hashing the context and listing the candidate images are independent.
  const prepare = async (ctx: StageContext): Promise<DockerPreparation> => {
    const docker = client(ctx.config);
    const [input, images] = await Promise.all([prepareBuild(docker, ctx), deploymentImages(docker, ctx)]);
    return { input, images };
  };

  return {
    name: 'docker',
    prepare,
    async build(ctx: StageContext, prepared?: Promise<DockerPreparation>): Promise<void> {
      const docker = client(ctx.config);
      const { input, images } = await (prepared ?? prepare(ctx));
      const reused = input.key ? await reuseImage(docker, ctx, input.key, images) : undefined;
      const labels: Record<string, string> = input.key ? { [LABEL_CONTEXT]: input.key } : {};
      built.set(ctx.workloadId, reused ?? (await buildImage(docker, ctx, input.body, labels)));
    },
    start(ctx: StageContext, port: number, host: string): Promise<RunningService> {
      const image = built.get(ctx.workloadId) ?? imageTag(ctx);
      built.delete(ctx.workloadId);
      return startContainer(client(ctx.config), ctx, image, port, host);
    },
    async cleanup(ctx: StageContext): Promise<void> {
      const removed = await pruneDeploymentImages(client(ctx.config), ctx);
      if (removed.length) ctx.log.write(ctx.stage(), 'info', `Removed older images: ${removed.join(', ')}`);
    },
  };
}

export const dockerExecutor: ServiceExecutor = createDockerExecutor();
