import { readdir, readFile } from 'node:fs/promises';
import type { ResourceUsage } from './types.ts';

/** Linux reports CPU times in clock ticks (USER_HZ, 100 on every mainstream build) and RSS in pages. */
const TICKS_PER_SECOND = 100;
const PAGE_BYTES = 4096;

/**
 * Memory (resident) and CPU time of every process in the process group
 * `pgid` (a local service and whatever it forked), from /proc: one read of
 * each process's `stat`. CPU time of children that already exited is in
 * their parent's `cutime`/`cstime` once reaped, so it is counted too.
 * Undefined where /proc is not Linux's.
 */
export async function processGroupUsage(pgid: number): Promise<ResourceUsage | undefined> {
  let pids: string[];
  try {
    pids = (await readdir('/proc')).filter((name) => /^\d+$/.test(name));
  } catch {
    return undefined;
  }
  let memoryBytes = 0;
  let ticks = 0;
  let found = false;
  for (const pid of pids) {
    let stat: string;
    try {
      stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    // Fields after the command name, which is in parentheses and may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) !== pgid) continue;
    found = true;
    ticks += Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
    memoryBytes += Number(fields[21]) * PAGE_BYTES;
  }
  return found ? { memoryBytes, cpuSeconds: ticks / TICKS_PER_SECOND } : undefined;
}
