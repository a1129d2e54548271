import type pg from 'pg';
import { type ResourceSample, recordResources } from '../../core/sql/record-resources.ts';
import type { RunningService } from '../executors/types.ts';
import { readProcessGroups } from './proc-usage.ts';
import type { UsageReading } from './usage.ts';

export const SAMPLE_INTERVAL_MS = 5_000;

interface Entry {
  service: RunningService;
  /** The reading the next CPU percentage is computed from. */
  last: UsageReading | undefined;
}

/**
 * Samples the resource use of every service a runner has running, every
 * 5 s, in rounds: one read per service (one pass over /proc for all local
 * ones, a stats request per container), then one statement that records
 * the round (record-resources.ts). A service's first reading is taken when
 * it is added, so its first sample is written at the next round (within
 * 5 s), with the CPU it used in between.
 */
export class ResourceSampler {
  private readonly entries = new Map<string, Entry>();
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<void> | undefined;

  constructor(
    private readonly pool: pg.Pool,
    private readonly report: (what: string, error: unknown) => void,
    private readonly intervalMs = SAMPLE_INTERVAL_MS,
  ) {}

  add(workloadId: string, service: RunningService): void {
    const entry: Entry = { service, last: undefined };
    this.entries.set(workloadId, entry);
    void this.read(new Map([[workloadId, entry]])).then((readings) => {
      entry.last ??= readings.get(workloadId);
    });
    this.timer ??= setInterval(() => this.sample(), this.intervalMs);
  }

  remove(workloadId: string): void {
    this.entries.delete(workloadId);
    if (this.entries.size === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    this.entries.clear();
    await this.round;
  }

  private sample(): void {
    // A round still writing (a slow database) is not overtaken by the next.
    if (this.round) return;
    this.round = this.sampleRound()
      .catch((error) => this.report('resource sampling failed', error))
      .finally(() => {
        this.round = undefined;
      });
  }

  private async sampleRound(): Promise<void> {
    const entries = new Map(this.entries);
    const readings = await this.read(entries);
    const samples: ResourceSample[] = [];
    for (const [workloadId, entry] of entries) {
      const now = readings.get(workloadId);
      if (!now) continue;
      const before = entry.last;
      entry.last = now;
      const seconds = before ? (now.at - before.at) / 1000 : 0;
      // CPU of one core = 100 %; a counter that went back (a process of the group ended) counts as 0.
      const cpuPercent =
        before && seconds > 0 ? Math.max(0, ((now.cpuSeconds - before.cpuSeconds) / seconds) * 100) : 0;
      samples.push({
        workloadId,
        cpuPercent,
        cpuSeconds: now.cpuSeconds,
        memoryBytes: now.memoryBytes,
        pids: now.pids,
      });
    }
    await recordResources(this.pool, samples);
  }

  private async read(entries: Map<string, Entry>): Promise<Map<string, UsageReading>> {
    const readings = new Map<string, UsageReading>();
    const groups = new Map<number, string>();
    await Promise.all(
      [...entries].map(async ([workloadId, { service }]) => {
        if (service.readUsage) {
          const reading = await service.readUsage().catch(() => null);
          if (reading) readings.set(workloadId, reading);
        } else if (service.pid) {
          groups.set(service.pid, workloadId);
        }
      }),
    );
    if (groups.size > 0) {
      for (const [pgid, reading] of await readProcessGroups(new Set(groups.keys()))) {
        readings.set(groups.get(pgid)!, reading);
      }
    }
    return readings;
  }
}
