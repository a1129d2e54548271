import type pg from 'pg';
import { failOrphan } from './sql/fail-orphan.ts';
import { orphanedWorkloads, RUNNER_HEARTBEAT_MS, RUNNER_LEASE_MS } from './sql/runners.ts';

export interface OrphanSweeperOptions {
  pool: pg.Pool;
  /** The runner that sweeps (its own workloads are not judged); null for the API. */
  selfId: string | null;
  /** Default RUNNER_HEARTBEAT_MS. */
  everyMs?: number;
  log?: (line: string) => void;
}

export interface OrphanSweeper {
  /** One sweep now; resolves with the number of workloads it failed. */
  sweep(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * Fails the live workloads of runners whose lease ran out, with
 * `Runner <id> stopped responding` (core/sql/fail-orphan.ts). Every runner
 * and the API run one, so a gone runner is noticed while anything at all is
 * alive; the sweeps are conditional transitions, so sweepers racing each
 * other fail each workload once.
 *
 * After losing the database, a sweeper judges again only once it has
 * reached it for a whole lease without a break: after an outage every lease
 * has run out, and the runners that are alive need that long to renew
 * theirs before anyone may call them gone.
 */
export function startOrphanSweeper(options: OrphanSweeperOptions): OrphanSweeper {
  const log = options.log ?? (() => {});
  /** Since when the database has answered every sweep (-Infinity: since before we started). */
  let seeingSince: number | undefined = Number.NEGATIVE_INFINITY;
  let running: Promise<number> | undefined;
  let stopped = false;

  const sweepOnce = async (): Promise<number> => {
    let rows: Awaited<ReturnType<typeof orphanedWorkloads>>;
    try {
      rows = await orphanedWorkloads(options.pool, options.selfId);
    } catch (error) {
      if (seeingSince !== undefined)
        log(`Orphan sweep: cannot reach the database: ${(error as Error).message}`);
      seeingSince = undefined;
      return 0;
    }
    seeingSince ??= Date.now();
    if (Date.now() - seeingSince < RUNNER_LEASE_MS) return 0;
    let failed = 0;
    for (const row of rows) {
      if (stopped) break;
      if (await failOrphan(options.pool, row)) {
        failed++;
        log(`Workload ${row.id}: failed, runner ${row.runnerId} stopped responding`);
      }
    }
    return failed;
  };

  const sweep = () => {
    running ??= sweepOnce()
      .catch((error: Error) => {
        log(`Orphan sweep failed: ${error.message}`);
        return 0;
      })
      .finally(() => {
        running = undefined;
      });
    return running;
  };

  const timer = setInterval(() => void sweep(), options.everyMs ?? RUNNER_HEARTBEAT_MS);
  timer.unref();
  void sweep();
  return {
    sweep,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
