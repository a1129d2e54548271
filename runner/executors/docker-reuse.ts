import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { baseImageIds, readDockerfile } from './docker-base-images.ts';
import { imageRepository, imageTag } from './docker-build.ts';
import { packContext } from './docker-context.ts';
import { engineMessage, engineStatus, NOT_FOUND } from './docker-engine.ts';
import { type StageContext, StageError } from './types.ts';

/** The label of a built image: the key of what it was built from (see `prepareBuild`). */
export const LABEL_CONTEXT = 'agentforge.context';

/** The Dockerfile, relative to the context; also part of the key. */
export const DOCKERFILE = 'Dockerfile';

export interface BuildInput {
  /** The tar to send to `docker build`. */
  body: Buffer | Readable;
  /**
   * sha256 of everything the build depends on: the context tar exactly as
   * sent (after .dockerignore), the Dockerfile name, the build args and the
   * ids of the base images. Undefined when one of them cannot be known
   * beforehand (a context too large to hold, a base image to pull): such a
   * build is never reused.
   */
  key?: string;
}

/**
 * Packs the context and computes its key. The Dockerfile is read first: a
 * directory without one (an `auto` deployment that will run locally) is
 * not packed. Aborting `ctx.signal` stops the packing.
 */
export async function prepareBuild(docker: Docker, ctx: StageContext): Promise<BuildInput> {
  let packed: Awaited<ReturnType<typeof packContext>>;
  let bases: string[] | undefined;
  try {
    const dockerfile = await readDockerfile(ctx.serviceDir);
    [packed, bases] = await Promise.all([
      packContext(ctx.serviceDir, { signal: ctx.signal }),
      baseImageIds(docker, dockerfile),
    ]);
  } catch (error) {
    if (ctx.signal.aborted) throw new StageError('docker build cancelled', { cause: error });
    throw new StageError(
      `docker build failed: could not prepare the build context: ${engineMessage(error)}`,
      {
        cause: error,
      },
    );
  }
  if (!packed.sha256 || !bases) return { body: packed.body };
  const key = createHash('sha256')
    .update(
      JSON.stringify({ format: 1, dockerfile: DOCKERFILE, buildArgs: {}, bases, context: packed.sha256 }),
    )
    .digest('hex');
  return { body: packed.body, key };
}

/**
 * The images of this deployment, the candidates for reuse. Listed by
 * repository only, so that the request can go out while the context is
 * still being packed (the key is not known yet); `reuseImage` picks by label.
 */
export async function deploymentImages(docker: Docker, ctx: StageContext): Promise<Docker.ImageInfo[]> {
  try {
    return await docker.listImages({
      filters: { reference: [imageRepository(ctx.deploymentId)] },
      abortSignal: ctx.signal,
    } as Docker.ListImagesOptions);
  } catch (error) {
    throw buildError(ctx, error);
  }
}

/**
 * An image of this deployment (of `images`) built from the same key, tagged
 * for this workload, so that `docker build` (context upload and cache walk)
 * is skipped. Resolves with its id, or undefined when there is none (or it
 * was removed between the lookup and the tag) and a build is needed.
 */
export async function reuseImage(
  docker: Docker,
  ctx: StageContext,
  key: string,
  images: Docker.ImageInfo[],
): Promise<string | undefined> {
  const tag = imageTag(ctx);
  const image = images
    .filter((candidate) => candidate.Labels?.[LABEL_CONTEXT] === key)
    .sort((a, b) => b.Created - a.Created)[0];
  if (!image) return undefined;
  try {
    const [repo, workloadTag] = [tag.slice(0, tag.lastIndexOf(':')), tag.slice(tag.lastIndexOf(':') + 1)];
    try {
      await docker.getImage(image.Id).tag({ repo, tag: workloadTag });
    } catch (error) {
      if (engineStatus(error) === NOT_FOUND) return undefined;
      throw error;
    }
    const since = image.RepoTags?.find((t) => t !== tag) ?? tag;
    ctx.log.write(
      ctx.stage(),
      'info',
      `✓ Build context unchanged since image ${shortId(image.Id)} (${since}): reusing it as ${tag}, no build`,
    );
    return image.Id;
  } catch (error) {
    throw buildError(ctx, error);
  }
}

function buildError(ctx: StageContext, error: unknown): StageError {
  if (ctx.signal.aborted) return new StageError('docker build cancelled', { cause: error });
  return new StageError(`docker build failed: ${engineMessage(error)}`, { cause: error });
}

function shortId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}
