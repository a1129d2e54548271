import { createServer } from 'node:net';
import { reservePort } from '../src/sql/ports.ts';
import type { Queryable } from '../src/sql/queryable.ts';
import { throwIfCancelled } from './command.ts';
import { StageError } from './executors/types.ts';

/** True when nothing on this host listens on `port` (we can bind it on every interface). */
function isFreeOnHost(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/**
 * A port of `range` that is free on this host and unique among the live
 * workloads of every runner: each candidate is bound once to check the host,
 * then recorded on the workload, where the database's partial unique index
 * decides between runners racing for it. Starts at a random point of the
 * range so concurrent runners rarely try the same ports.
 */
export async function allocatePort(
  db: Queryable,
  workloadId: string,
  range: { from: number; to: number },
  signal: AbortSignal,
): Promise<number> {
  const size = range.to - range.from + 1;
  const start = Math.floor(Math.random() * size);
  for (let i = 0; i < size; i++) {
    throwIfCancelled(signal);
    const port = range.from + ((start + i) % size);
    if (!(await isFreeOnHost(port))) continue;
    if (await reservePort(db, workloadId, port)) return port;
  }
  throw new StageError(`No free port in WORKLOAD_PORT_RANGE ${range.from}-${range.to}`);
}
