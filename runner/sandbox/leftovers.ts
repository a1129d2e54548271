import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { endedWorkloadIds } from '../../core/sql/ended-workload-ids.ts';
import type { Queryable } from '../../core/sql/queryable.ts';
import { Cgroup } from './cgroup.ts';
import { removeWorkingCopy } from './working-copy.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * What a runner that died left on this host: working copies and cgroups
 * of workloads that have ended (the orphan sweep failed them). Whatever
 * still runs in such a cgroup is killed. Returns the workload ids cleaned
 * up. Live workloads, and names this database does not know, are left alone.
 */
export async function sweepLeftovers(db: Queryable, workDir: string): Promise<string[]> {
  const copies = (await readdir(workDir).catch(() => [] as string[])).filter((n) => UUID.test(n));
  const groups = await Cgroup.names();
  const names = [...new Set([...copies, ...groups.filter((n) => UUID.test(n))])];
  if (names.length === 0) return [];
  const ended = await endedWorkloadIds(db, names);
  const cleaned: string[] = [];
  for (const name of names) {
    if (!ended.has(name)) continue;
    if (groups.includes(name)) await Cgroup.removeByName(name).catch(() => {});
    if (copies.includes(name)) await removeWorkingCopy(join(workDir, name)).catch(() => {});
    cleaned.push(name);
  }
  return cleaned;
}
