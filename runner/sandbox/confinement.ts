import { constants } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config, Limits } from '../../core/config.ts';
import { type GroupProcess, spawnGroup } from '../process-group.ts';
import {
  hostSystemLayout,
  nodePrefix,
  SANDBOX_DIR,
  SANDBOX_HOME,
  sandboxInvocation,
  sandboxPath,
} from './bwrap.ts';
import { Cgroup } from './cgroup.ts';
import { type ServiceIdentity, serviceIdentity } from './identity.ts';
import { ensureReachable } from './reachable.ts';
import { SANDBOX_FDS, spawnSandboxed } from './sandbox-process.ts';
import { makeWorkingCopy, removeWorkingCopy } from './working-copy.ts';

/** Variables of the runner's base environment that keep their meaning inside a sandbox. */
const PORTABLE = ['LANG', 'LC_ALL', 'TZ', 'TERM'];

export interface ConfinementInput {
  config: Config;
  workloadId: string;
  deploymentId: string;
  rootPath: string;
  serviceDir: string;
  limits: Limits;
  /** Whether commands run in the bubblewrap sandbox (false: AGENTFORGE_LOCAL_SANDBOX=off, or none here). */
  sandboxed: boolean;
  bwrap?: string;
}

/**
 * Everything of one local workload on this host: its working copy, its
 * cgroup, the identity its commands run as, and how they are started (in
 * the sandbox, or unconfined when so configured). `dispose()` kills what is
 * left in the cgroup and removes the group and the copy.
 */
export class Confinement {
  private constructor(
    private readonly input: ConfinementInput,
    readonly hostDir: string,
    readonly identity: ServiceIdentity | undefined,
    readonly cgroup: Cgroup | undefined,
    /** Why there is no cgroup (limits not enforced), if there is none. */
    readonly cgroupProblem: string | undefined,
  ) {}

  /** Where commands run, as they see it. */
  get dir(): string {
    return this.input.sandboxed ? SANDBOX_DIR : this.hostDir;
  }

  get sandboxed(): boolean {
    return this.input.sandboxed;
  }

  static async create(input: ConfinementInput): Promise<Confinement> {
    const runnerIsRoot = process.getuid?.() === 0;
    // A root runner hands the copy to the service's uid; otherwise it stays the runner's.
    const identity =
      input.sandboxed || runnerIsRoot ? serviceIdentity(input.config, input.deploymentId) : undefined;
    await mkdir(input.config.workDir, { recursive: true, mode: 0o711 });
    if (input.sandboxed && runnerIsRoot) {
      await ensureReachable(input.config.workDir, [input.config.workDir, input.config.dataDir]);
    }
    const hostDir = join(input.config.workDir, input.workloadId);
    await removeWorkingCopy(hostDir);
    const created = await Cgroup.create(input.workloadId, input.limits);
    const cgroup = typeof created === 'string' ? undefined : created;
    try {
      await makeWorkingCopy(input.rootPath, input.serviceDir, hostDir, runnerIsRoot ? identity : undefined);
    } catch (error) {
      await cgroup?.remove().catch(() => {});
      await removeWorkingCopy(hostDir).catch(() => {});
      throw error;
    }
    return new Confinement(
      input,
      hostDir,
      identity,
      cgroup,
      typeof created === 'string' ? created : undefined,
    );
  }

  /** The environment of a command or service: base, the deployment's env, then the runner's own names. */
  environment(
    base: Record<string, string>,
    deploymentEnv: { name: string; value: string }[],
    extra: Record<string, string>,
  ) {
    const env: Record<string, string> = {};
    if (this.sandboxed) {
      for (const name of PORTABLE) if (base[name] !== undefined) env[name] = base[name]!;
      env.PATH = sandboxPath(nodePrefix());
      env.HOME = SANDBOX_HOME;
      env.TMPDIR = SANDBOX_HOME;
    } else {
      Object.assign(env, base);
    }
    for (const { name, value } of deploymentEnv) env[name] = value;
    return { ...env, ...extra };
  }

  /** Starts `command args` for this workload: in its sandbox and cgroup. */
  async spawn(command: string, args: string[], env: Record<string, string>): Promise<GroupProcess> {
    if (!this.sandboxed) {
      const proc = await spawnGroup(command, args, { cwd: this.hostDir, env });
      // Unconfined: the group is joined right after the start (best effort).
      await this.cgroup?.add(proc.pid).catch(() => {});
      return proc;
    }
    const copy = await open(this.hostDir, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
    try {
      const invocation = sandboxInvocation(
        {
          identity: this.identity!,
          dropPrivileges: process.getuid?.() === 0,
          system: hostSystemLayout(),
          nodePrefix: nodePrefix(),
          env,
          fds: SANDBOX_FDS,
          command,
          args,
        },
        this.input.bwrap,
      );
      return await spawnSandboxed(invocation, copy.fd, this.cgroup, this.input.limits.memoryMb);
    } finally {
      await copy.close();
    }
  }

  /** Kills what is left, removes the cgroup and the working copy. Never rejects. */
  async dispose(): Promise<void> {
    await this.cgroup?.remove().catch(() => {});
    await removeWorkingCopy(this.hostDir).catch(() => {});
  }
}
