import type { Queryable } from '../../src/sql/queryable.ts';
import { updateWorkload } from '../../src/sql/transition.ts';
import type { RunningService, ServiceExecutor, StageContext } from '../executors/types.ts';
import { allocatePort } from '../port-allocator.ts';
import { waitUntilReady } from '../readiness.ts';

export interface Deployed {
  port: number;
  url: string;
}

/**
 * deploy (DESIGN.md §3): a port unique among live workloads, the service
 * started by its executor (pid / containerId recorded), then readiness.
 * `onStarted` hands the running service to the caller as soon as it exists,
 * so a failure or cancel from here on stops it.
 */
export async function deployService(
  ctx: StageContext,
  db: Queryable,
  executor: ServiceExecutor,
  host: string,
  onStarted: (service: RunningService) => void,
): Promise<Deployed> {
  const info = (message: string) => ctx.log.write('deploy', 'info', message);
  const port = await allocatePort(db, ctx.workloadId, ctx.config.portRange, ctx.signal);
  info(`Allocated port: ${port}`);
  const service = await executor.start(ctx, port, host);
  onStarted(service);
  await updateWorkload(db, ctx.workloadId, {
    pid: service.pid ?? null,
    containerId: service.containerId ?? null,
  });
  info(
    ctx.healthCheckPath
      ? `Waiting for health check (GET ${ctx.healthCheckPath})...`
      : `Waiting for health check (port ${port} accepting connections)...`,
  );
  await waitUntilReady({
    ...(service.readyAt ?? { host, port }),
    healthCheckPath: ctx.healthCheckPath,
    timeoutMs: ctx.config.healthcheckTimeoutMs,
    exited: service.exited,
    signal: ctx.signal,
  });
  info('✓ Service healthy');
  return { port, url: `http://${host.includes(':') ? `[${host}]` : host}:${port}` };
}
