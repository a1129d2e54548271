import type Docker from 'dockerode';
import { imageRepository, imageTag } from './docker-build.ts';
import { CONFLICT, engineMessage, engineStatus, NOT_FOUND } from './docker-engine.ts';
import type { StageContext } from './types.ts';

/**
 * Removes the tags of a deployment's older workloads, keeping the newest:
 * the workload of `ctx` (called once it runs) and anything built after it.
 *
 * Builds of an unchanged service share one image under several tags, so
 * this works tag by tag: removing a tag that shares its image only untags
 * it, and the last tag of an image removes the image. An image that a
 * container still uses (a live workload) is refused by the engine with 409
 * and kept; containers of terminal workloads are already removed, so what
 * goes is the images of terminal workloads. Containers are created from the
 * image id, so untagging never breaks one being started. Returns the tags
 * removed.
 */
export async function pruneDeploymentImages(docker: Docker, ctx: StageContext): Promise<string[]> {
  const repository = imageRepository(ctx.deploymentId);
  const keep = imageTag(ctx);
  const images = await docker.listImages({ filters: { reference: [repository] } });
  // The list's `Created` is in whole seconds: inspect gives the full timestamp.
  const created = async (id: string) => Date.parse((await docker.getImage(id).inspect()).Created);
  const times = new Map<string, number>();
  for (const image of images) times.set(image.Id, await created(image.Id));
  // Without an image of its own (its build failed), the newest image is kept whole.
  const current =
    images.find((image) => image.RepoTags?.includes(keep)) ??
    [...images].sort((a, b) => (times.get(b.Id) ?? 0) - (times.get(a.Id) ?? 0))[0];
  if (!current) return [];
  const ownTag = current.RepoTags?.includes(keep);
  const keepAfter = times.get(current.Id) ?? 0;
  const removed: string[] = [];
  for (const image of images) {
    if (image.Id !== current.Id && (times.get(image.Id) ?? 0) > keepAfter) continue;
    if (image.Id === current.Id && !ownTag) continue;
    for (const tag of image.RepoTags ?? []) {
      if (tag === keep || !tag.startsWith(`${repository}:`)) continue;
      try {
        await docker.getImage(tag).remove();
        removed.push(tag);
      } catch (error) {
        const status = engineStatus(error);
        if (status === CONFLICT || status === NOT_FOUND) continue;
        ctx.log.write(ctx.stage(), 'warn', `Could not remove image ${tag}: ${engineMessage(error)}`);
      }
    }
  }
  return removed;
}
