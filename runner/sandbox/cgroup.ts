import { constants } from 'node:fs';
import { access, mkdir, readdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * One cgroup per local workload (docs/containment.md): its limits (memory, CPU,
 * processes), a way to find and kill everything in it whatever it forked or
 * however it detached, its usage, and whether the kernel killed something in
 * it for memory. cgroup v2 (one hierarchy) and v1 (a hierarchy per
 * controller: memory, pids, cpu, cpuacct) are both supported; every
 * workload's group is `agentforge/<name>` in each hierarchy.
 */
export interface CgroupLimits {
  memoryMb: number;
  cpus: number;
  pids: number;
}

export interface CgroupUsage {
  memoryBytes: number;
  cpuSeconds: number;
  pids: number;
}

const PARENT = 'agentforge';
const CPU_PERIOD_US = 100_000;

interface Layout {
  version: 1 | 2;
  /** v2: the one mount; v1: the mount of each controller we use. */
  memory: string;
  pids: string;
  cpu: string;
  cpuacct: string;
}

async function exists(file: string): Promise<boolean> {
  return access(file, constants.F_OK).then(
    () => true,
    () => false,
  );
}

/** Where the controllers are mounted, from /proc/self/mounts. */
async function detectLayout(): Promise<Layout | string> {
  if (await exists('/sys/fs/cgroup/cgroup.controllers')) {
    const root = '/sys/fs/cgroup';
    const controllers = (await readFile(join(root, 'cgroup.controllers'), 'utf8')).split(/\s+/);
    const missing = ['memory', 'pids', 'cpu'].filter((c) => !controllers.includes(c));
    if (missing.length) return `cgroup v2 without the ${missing.join(', ')} controller`;
    return { version: 2, memory: root, pids: root, cpu: root, cpuacct: root };
  }
  const mounts = await readFile('/proc/self/mounts', 'utf8').catch(() => '');
  const found: Partial<Record<'memory' | 'pids' | 'cpu' | 'cpuacct', string>> = {};
  for (const line of mounts.split('\n')) {
    const [, mountPoint, type, options] = line.split(' ');
    if (type !== 'cgroup' || !mountPoint || !options) continue;
    for (const option of options.split(',')) {
      if (option === 'memory' || option === 'pids' || option === 'cpu' || option === 'cpuacct') {
        found[option] ??= mountPoint;
      }
    }
  }
  const missing = (['memory', 'pids', 'cpu', 'cpuacct'] as const).filter((c) => !found[c]);
  if (missing.length) return `no cgroup ${missing.join(', ')} controller is mounted`;
  return { version: 1, ...(found as Record<'memory' | 'pids' | 'cpu' | 'cpuacct', string>) };
}

let layout: Promise<Layout | string> | undefined;
let parentsReady: Promise<void> | undefined;

function getLayout(): Promise<Layout | string> {
  layout ??= detectLayout();
  return layout;
}

/** The `agentforge` parent in each hierarchy (v2: with the controllers enabled for its children). */
async function ensureParents(l: Layout): Promise<void> {
  parentsReady ??= (async () => {
    for (const mount of new Set([l.memory, l.pids, l.cpu, l.cpuacct]))
      await mkdir(join(mount, PARENT), { recursive: true });
    if (l.version === 2) {
      await writeFile(join(l.memory, 'cgroup.subtree_control'), '+memory +pids +cpu');
      await writeFile(join(l.memory, PARENT, 'cgroup.subtree_control'), '+memory +pids +cpu');
    } else {
      // Without it, limits of a v1 parent do not reach its children's usage.
      await writeFile(join(l.memory, PARENT, 'memory.use_hierarchy'), '1').catch(() => {});
    }
  })();
  parentsReady.catch(() => {
    parentsReady = undefined;
  });
  return parentsReady;
}

async function readNumber(file: string): Promise<number> {
  return Number((await readFile(file, 'utf8')).trim().split(/\s+/)[0]);
}

/** `key value` lines (memory.events, memory.oom_control, cpu.stat). */
async function readKeyed(file: string, key: string): Promise<number> {
  const text = await readFile(file, 'utf8').catch(() => '');
  const line = text.split('\n').find((l) => l.startsWith(`${key} `));
  return line ? Number(line.split(' ')[1]) : 0;
}

export class Cgroup {
  private constructor(
    private readonly layout: Layout,
    readonly name: string,
    readonly limits: CgroupLimits,
  ) {}

  /** The group's directory in each hierarchy it lives in. */
  get dirs(): string[] {
    const l = this.layout;
    return [...new Set([l.memory, l.pids, l.cpu, l.cpuacct])].map((mount) => join(mount, PARENT, this.name));
  }

  private dir(controller: 'memory' | 'pids' | 'cpu' | 'cpuacct'): string {
    return join(this.layout[controller], PARENT, this.name);
  }

  /**
   * Makes the group with its limits. Resolves to a reason string when this
   * host gives the runner no cgroup it can write (not root, no controller).
   */
  static async create(name: string, limits: CgroupLimits): Promise<Cgroup | string> {
    const l = await getLayout();
    if (typeof l === 'string') return l;
    const group = new Cgroup(l, name, limits);
    try {
      await ensureParents(l);
      for (const dir of group.dirs) await mkdir(dir, { recursive: true });
      await group.applyLimits();
    } catch (error) {
      await group.remove().catch(() => {});
      return `cannot make a cgroup (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`;
    }
    return group;
  }

  private async applyLimits(): Promise<void> {
    const { memoryMb, cpus, pids } = this.limits;
    const bytes = String(memoryMb * 1024 * 1024);
    const quota = String(Math.max(1000, Math.round(cpus * CPU_PERIOD_US)));
    if (this.layout.version === 2) {
      await writeFile(join(this.dir('memory'), 'memory.max'), bytes);
      await writeFile(join(this.dir('memory'), 'memory.swap.max'), '0').catch(() => {});
      await writeFile(join(this.dir('pids'), 'pids.max'), String(pids));
      await writeFile(join(this.dir('cpu'), 'cpu.max'), `${quota} ${CPU_PERIOD_US}`);
      return;
    }
    await writeFile(join(this.dir('memory'), 'memory.limit_in_bytes'), bytes);
    // Memory + swap at the same figure: swapping out does not get past the limit.
    await writeFile(join(this.dir('memory'), 'memory.memsw.limit_in_bytes'), bytes).catch(() => {});
    await writeFile(join(this.dir('pids'), 'pids.max'), String(pids));
    await writeFile(join(this.dir('cpu'), 'cpu.cfs_period_us'), String(CPU_PERIOD_US));
    await writeFile(join(this.dir('cpu'), 'cpu.cfs_quota_us'), quota);
  }

  /** Moves a process (not its existing children: move it before it forks) into the group. */
  async add(pid: number): Promise<void> {
    for (const dir of this.dirs) await writeFile(join(dir, 'cgroup.procs'), String(pid));
  }

  /** Every process in the group now. */
  async pids(): Promise<number[]> {
    const text = await readFile(join(this.dir('pids'), 'cgroup.procs'), 'utf8').catch(() => '');
    return text
      .split('\n')
      .filter(Boolean)
      .map((pid) => Number(pid));
  }

  /** Signals every process in the group. */
  async signal(signal: NodeJS.Signals): Promise<void> {
    for (const pid of await this.pids()) {
      try {
        process.kill(pid, signal);
      } catch {
        // Gone already.
      }
    }
  }

  /** SIGKILL to everything in the group until it is empty (bounded: a few seconds). */
  async killAll(): Promise<void> {
    if (this.layout.version === 2)
      await writeFile(join(this.dir('pids'), 'cgroup.kill'), '1').catch(() => {});
    for (let i = 0; i < 100; i++) {
      const pids = await this.pids();
      if (pids.length === 0) return;
      await this.signal('SIGKILL');
      await sleep(20);
    }
  }

  /** Memory (bytes), CPU time used (seconds) and processes, read from the group's files. */
  async usage(): Promise<CgroupUsage> {
    if (this.layout.version === 2) {
      const [memoryBytes, usec, pids] = await Promise.all([
        readNumber(join(this.dir('memory'), 'memory.current')),
        readKeyed(join(this.dir('cpu'), 'cpu.stat'), 'usage_usec'),
        readNumber(join(this.dir('pids'), 'pids.current')),
      ]);
      return { memoryBytes, cpuSeconds: usec / 1e6, pids };
    }
    const [memoryBytes, ns, pids] = await Promise.all([
      readNumber(join(this.dir('memory'), 'memory.usage_in_bytes')),
      readNumber(join(this.dir('cpuacct'), 'cpuacct.usage')),
      readNumber(join(this.dir('pids'), 'pids.current')),
    ]);
    return { memoryBytes, cpuSeconds: ns / 1e9, pids };
  }

  /** True once the kernel has killed a process of the group for exceeding its memory limit. */
  async outOfMemory(): Promise<boolean> {
    const file =
      this.layout.version === 2
        ? join(this.dir('memory'), 'memory.events')
        : join(this.dir('memory'), 'memory.oom_control');
    return (await readKeyed(file, 'oom_kill')) > 0;
  }

  /** Kills what is left and removes the group from every hierarchy. */
  async remove(): Promise<void> {
    await this.killAll();
    for (const dir of this.dirs) {
      for (let i = 0; i < 50; i++) {
        try {
          await rmdir(dir);
          break;
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code;
          if (code === 'ENOENT') break;
          if (code !== 'EBUSY' || i === 49) throw error;
          await sleep(20);
        }
      }
    }
  }

  /** Names of the workload groups on this host. */
  static async names(): Promise<string[]> {
    const l = await getLayout();
    if (typeof l === 'string') return [];
    const entries = await readdir(join(l.pids, PARENT), { withFileTypes: true }).catch(() => []);
    return entries.filter((e) => e.isDirectory()).map((e) => e.name);
  }

  /** Kills everything in the named group and removes it (a group left by a runner that died). */
  static async removeByName(name: string): Promise<void> {
    const l = await getLayout();
    if (typeof l === 'string') return;
    await new Cgroup(l, name, { memoryMb: 0, cpus: 0, pids: 0 }).remove();
  }
}
