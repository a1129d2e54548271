import { setTimeout as sleep } from 'node:timers/promises';
import { deleteLogBatch } from '../core/sql/delete-log-batch.ts';
import { type EndedCursor, endedWorkloads } from '../core/sql/ended-workloads.ts';
import type { Queryable } from '../core/sql/queryable.ts';

export interface LogRetentionOptions {
  /** Logs of workloads that ended more than this many days ago are deleted; 0 keeps them for ever. */
  days: number;
  /** Time between sweeps (default 10 minutes); the first runs at start. */
  everyMs?: number;
  /** Rows per delete statement (default 5,000). */
  batchRows?: number;
  /** Pause between two delete statements, so a long backlog never keeps the database busy (default 20 ms). */
  pauseMs?: number;
  /** Workloads read per page of the walk (default 100). */
  pageSize?: number;
  report?: (what: string, error: unknown) => void;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Deletes the logs of workloads that ended more than `days` days ago
 * (AGENTFORGE_LOG_RETENTION_DAYS), run by every runner: a sweep at start,
 * then one every `everyMs`. A sweep walks the ended workloads oldest first
 * (core/sql/ended-workloads.ts) and deletes each one's log in statements of
 * at most `batchRows` rows (core/sql/delete-log-batch.ts), each its own
 * short transaction, with a pause between them: no long lock, no long
 * transaction, and the workload rows themselves (history, `logCount`) stay.
 * The walk resumes where the last sweep stopped, so a workload is visited
 * once per runner process, not once per sweep. Runners sharing a database
 * may delete the same rows at the same time; the second finds them gone.
 */
export class LogRetention {
  private readonly o: Required<Omit<LogRetentionOptions, 'report'>> & Pick<LogRetentionOptions, 'report'>;
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<number> | undefined;
  private stopped = false;
  private cursor: EndedCursor | null = null;

  constructor(
    private readonly pool: Queryable,
    options: LogRetentionOptions,
  ) {
    this.o = { everyMs: 10 * 60 * 1000, batchRows: 5_000, pauseMs: 20, pageSize: 100, ...options };
  }

  start(): void {
    if (this.o.days === 0 || this.timer || this.stopped) return;
    const run = () => {
      this.sweep().catch((error) => this.o.report?.('log retention failed', error));
    };
    this.timer = setInterval(run, this.o.everyMs);
    run();
  }

  /** Stops sweeping; resolves once a sweep in progress has stopped (after its current statement). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.sweeping?.catch(() => undefined);
  }

  /** One sweep (joined if one is running); resolves with the number of log rows it deleted. */
  sweep(now = new Date()): Promise<number> {
    this.sweeping ??= this.run(new Date(now.getTime() - this.o.days * DAY_MS)).finally(() => {
      this.sweeping = undefined;
    });
    return this.sweeping;
  }

  private async run(cutoff: Date): Promise<number> {
    let deleted = 0;
    for (;;) {
      const page = await endedWorkloads(this.pool, cutoff, this.cursor, this.o.pageSize);
      for (const workload of page) {
        for (;;) {
          if (this.stopped) return deleted;
          const n = await deleteLogBatch(this.pool, workload.id, this.o.batchRows);
          deleted += n;
          if (n < this.o.batchRows) break;
          await sleep(this.o.pauseMs);
        }
        this.cursor = workload;
      }
      if (page.length < this.o.pageSize) return deleted;
    }
  }
}
