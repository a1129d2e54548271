import type Docker from 'dockerode';
import { imageRepository } from './docker-build.ts';
import { CONFLICT, engineMessage, engineStatus, NOT_FOUND } from './docker-engine.ts';
import type { StageContext } from './types.ts';

/**
 * Removes a deployment's workload images except the newest one. An image
 * that a container still uses (a live workload) is refused by the engine
 * with 409 and kept; containers of terminal workloads are already removed,
 * so what goes is exactly the images of terminal workloads. Returns the
 * tags removed.
 */
export async function pruneDeploymentImages(docker: Docker, ctx: StageContext): Promise<string[]> {
  const repository = imageRepository(ctx.deploymentId);
  const images = await docker.listImages({ filters: { reference: [repository] } });
  // The list's `Created` is in whole seconds, and two builds of a deployment
  // often land in the same second: inspect gives the full timestamp.
  const created = new Map<string, number>();
  for (const image of images)
    created.set(image.Id, Date.parse((await docker.getImage(image.Id).inspect()).Created));
  const newestFirst = images.sort((a, b) => (created.get(b.Id) ?? 0) - (created.get(a.Id) ?? 0));
  const removed: string[] = [];
  for (const image of newestFirst.slice(1)) {
    for (const tag of image.RepoTags ?? []) {
      if (!tag.startsWith(`${repository}:`)) continue;
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
