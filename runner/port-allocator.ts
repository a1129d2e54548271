import { createServer } from 'node:net';
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
 * Records a candidate port on the workload: true when it is now the
 * workload's, false when another live workload holds it (the next one is
 * tried). Whatever it throws ends the search.
 */
export type ReservePort = (port: number) => Promise<boolean>;

/**
 * A port of `range` that is free on this host and unique among the live
 * workloads of every runner: each candidate is bound once to check the host,
 * then handed to `reserve`, which records it on the workload, where the
 * database's partial unique index decides between runners racing for it.
 * Starts at a random point of the range so concurrent runners rarely try
 * the same ports. Undefined when no port of the range could be had.
 */
export async function allocatePort(
  range: { from: number; to: number },
  signal: AbortSignal,
  reserve: ReservePort,
): Promise<number | undefined> {
  const size = range.to - range.from + 1;
  const start = Math.floor(Math.random() * size);
  for (let i = 0; i < size; i++) {
    throwIfCancelled(signal);
    const port = range.from + ((start + i) % size);
    if (!(await isFreeOnHost(port))) continue;
    if (await reserve(port)) return port;
  }
  return undefined;
}

/** The deploy stage's failure when `allocatePort` found nothing. */
export function noFreePort(range: { from: number; to: number }): StageError {
  return new StageError(`No free port in WORKLOAD_PORT_RANGE ${range.from}-${range.to}`);
}
