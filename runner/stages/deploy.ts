import type { Queryable } from '../../core/sql/queryable.ts';
import { updateWorkload } from '../../core/sql/transition.ts';
import type { RunningService, ServiceExecutor, StageContext } from '../executors/types.ts';
import { waitUntilReady } from '../readiness.ts';

export interface Deployed {
  port: number;
  url: string;
}

/**
 * deploy (docs/architecture.md, "Stage machine"): the service started by its executor on `port`
 * (pid / containerId recorded), then readiness. The port, unique among live
 * workloads, was recorded by the move into deploy (WorkloadJob, with
 * port-allocator.ts). `onStarted` hands the running service to the caller as
 * soon as it exists, so a failure or cancel from here on stops it.
 */
export async function deployService(
  ctx: StageContext,
  db: Queryable,
  executor: ServiceExecutor,
  host: string,
  port: number,
  onStarted: (service: RunningService) => void,
): Promise<Deployed> {
  const info = (message: string) => ctx.log.write('deploy', 'info', message);
  info(`Allocated port: ${port}`);
  const service = await executor.start(ctx, port, host);
  onStarted(service);
  // The pid / containerId are written while readiness is polled, not before:
  // the service is already starting, and the first poll need not wait for a
  // database round trip. Both settle before deploy ends, so `running` is
  // never seen without them; a failed write ends the polling and fails the stage.
  const writeFailed = new AbortController();
  const recorded = updateWorkload(db, ctx.workloadId, {
    pid: service.pid ?? null,
    containerId: service.containerId ?? null,
  }).catch((error: unknown) => {
    writeFailed.abort();
    throw error;
  });
  info(
    ctx.healthCheckPath
      ? `Waiting for health check (GET ${ctx.healthCheckPath})...`
      : `Waiting for health check (port ${port} accepting connections)...`,
  );
  const ready = waitUntilReady({
    ...(service.readyAt ?? { host, port }),
    healthCheckPath: ctx.healthCheckPath,
    timeoutMs: ctx.config.healthcheckTimeoutMs,
    exited: service.exited,
    signal: AbortSignal.any([ctx.signal, writeFailed.signal]),
  });
  // allSettled: whichever fails, the other is not left unobserved.
  const [write, readiness] = await Promise.allSettled([recorded, ready]);
  if (write.status === 'rejected') throw write.reason;
  if (readiness.status === 'rejected') throw readiness.reason;
  info('✓ Service healthy');
  return { port, url: `http://${host.includes(':') ? `[${host}]` : host}:${port}` };
}
