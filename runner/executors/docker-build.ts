import { once } from 'node:events';
import type { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type Docker from 'dockerode';
import { engineAddress, engineMessage } from './docker-engine.ts';
import { jsonMessages } from './docker-streams.ts';
import { type StageContext, StageError } from './types.ts';

/** The image of one workload: agentforge/<deploymentId>:<workloadId>. */
export function imageRepository(deploymentId: string): string {
  return `agentforge/${deploymentId.toLowerCase()}`;
}

export function imageTag(ctx: Pick<StageContext, 'deploymentId' | 'workloadId'>): string {
  return `${imageRepository(ctx.deploymentId)}:${ctx.workloadId.toLowerCase()}`;
}

/** One item of the engine's JSON build stream (legacy builder). */
interface BuildEvent {
  stream?: string;
  status?: string;
  progress?: string;
  id?: string;
  error?: string;
  errorDetail?: { message?: string; code?: number };
  aux?: { ID?: string };
}

/**
 * `docker build` of the service directory, tagged per deployment and
 * workload. Every line of output becomes a log entry of the current stage.
 *
 * A failed build is reported by the engine as an item with `errorDetail` in
 * a stream that otherwise ends normally, so the items are inspected rather
 * than trusting the stream's end. Cancelling (ctx.signal) aborts the request,
 * which makes the engine stop the build; `forcerm` removes the intermediate
 * containers even then.
 *
 * The only label added is `labels` (the context key, see docker-reuse.ts):
 * it is the same for the same context, so an unchanged service stays
 * entirely cached. No per-workload label: it would make every build commit
 * a new layer (about 60 ms here); the tag already names the workload.
 *
 * Resolves with the image id (the `aux.ID` item), so the container can be
 * created from the id and not depend on the tag staying in place.
 */
export async function buildImage(
  docker: Docker,
  ctx: StageContext,
  context: Buffer | Readable,
  labels: Record<string, string> = {},
): Promise<string> {
  const tag = imageTag(ctx);
  ctx.log.write(
    ctx.stage(),
    'info',
    `docker build -t ${tag} ${ctx.servicePath} (engine ${engineAddress(ctx.config)})`,
  );
  let stream: NodeJS.ReadableStream;
  try {
    // docker-modem sends a Buffer as is (with its length); the typings only name streams.
    stream = await docker.buildImage(context as NodeJS.ReadableStream, {
      t: tag,
      ...(Object.keys(labels).length ? { labels } : {}),
      rm: true,
      forcerm: true,
      abortSignal: ctx.signal,
    });
  } catch (error) {
    if (ctx.signal.aborted) throw new StageError('docker build cancelled', { cause: error });
    throw new StageError(`docker build failed: ${engineMessage(error)}`, { cause: error });
  }

  let failure: string | undefined;
  let imageId: string | undefined;
  // `stream` items are chunks of the build's output, not lines ("Step 1/3 : FROM x" then "\n"):
  // they go through the log's line input like any command's output, with back-pressure (the next
  // message is read once the log has room), and the error is logged after the last line.
  const output = ctx.log.lines(ctx.stage, 'info');
  const write = async (text: string) => {
    if (!output.write(text)) await once(output, 'drain');
  };
  try {
    for await (const event of jsonMessages<BuildEvent>(stream as AsyncIterable<Buffer>)) {
      if (event.errorDetail || event.error) {
        failure ??= (event.errorDetail?.message ?? event.error ?? 'unknown error').trim();
      } else if (event.aux?.ID) {
        imageId = event.aux.ID;
      } else if (event.stream !== undefined) {
        await write(event.stream);
      } else if (event.status) {
        await write(`${[event.id, event.status, event.progress].filter(Boolean).join(' ')}\n`);
      }
    }
  } catch (error) {
    if (ctx.signal.aborted) throw new StageError('docker build cancelled', { cause: error });
    throw new StageError(`docker build failed: ${engineMessage(error)}`, { cause: error });
  } finally {
    output.end();
    await finished(output).catch(() => {});
  }
  if (failure) ctx.log.write(ctx.stage(), 'error', failure);
  if (ctx.signal.aborted) throw new StageError('docker build cancelled');
  if (failure) throw new StageError(`docker build failed: ${failure}`);
  return imageId ?? tag;
}
