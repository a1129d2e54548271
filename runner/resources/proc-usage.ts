import { readdir, readFile } from 'node:fs/promises';
import type { UsageReading } from './usage.ts';

/**
 * Usage of local workloads read from /proc, per process group (every
 * service is the leader of its own group, process-group.ts): the CPU time,
 * resident memory and number of the group's live processes. One pass over
 * /proc answers for every group at once, so a runner with many services
 * reads it once per sampling round, not once per service.
 *
 * Linux reports CPU time in clock ticks of USER_HZ, which is 100 on every
 * architecture Node runs on; memory in pages.
 */
const TICKS_PER_SECOND = 100;
const PAGE_SIZE = 4096;

export async function readProcessGroups(pgids: ReadonlySet<number>): Promise<Map<number, UsageReading>> {
  const totals = new Map<number, UsageReading>();
  if (pgids.size === 0) return totals;
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    return totals; // not Linux: no readings
  }
  await Promise.all(
    entries.map(async (name) => {
      if (!/^\d+$/.test(name)) return;
      let stat: string;
      try {
        stat = await readFile(`/proc/${name}/stat`, 'latin1');
      } catch {
        return; // gone since readdir
      }
      // The command name (field 2) may hold spaces and parentheses: fields are counted after the last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const pgrp = Number(fields[2]);
      if (!pgids.has(pgrp) || fields[0] === 'Z') return;
      const ticks = Number(fields[11]) + Number(fields[12]);
      const rss = Number(fields[21]) * PAGE_SIZE;
      const total = totals.get(pgrp) ?? { cpuSeconds: 0, memoryBytes: 0, pids: 0, at: performance.now() };
      total.cpuSeconds += ticks / TICKS_PER_SECOND;
      total.memoryBytes += rss;
      total.pids += 1;
      totals.set(pgrp, total);
    }),
  );
  return totals;
}
