import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cgroup } from '../../runner/sandbox/cgroup.ts';
import { StopWorkloadDocument } from '../../sdk/index.ts';
import { gone, type Harness, logsOf, portBlock, startHarness, terminal, waitFor } from './harness.ts';

/** A deployment's limits through the workload's cgroup (v1 on these machines, v2 elsewhere). */
let h: Harness;

beforeAll(async () => {
  h = await startHarness(['memory-hog', 'fork-loop', 'hello'], { WORKLOAD_PORT_RANGE: portBlock() });
  await h.startRunner();
});
afterAll(() => h?.close());

const V2 = existsSync('/sys/fs/cgroup/cgroup.controllers');
const group = (controller: string, id: string) =>
  V2 ? `/sys/fs/cgroup/agentforge/${id}` : `/sys/fs/cgroup/${controller}/agentforge/${id}`;

describe('a workload cgroup', () => {
  it('reads its usage (memory, CPU seconds, processes) and kills everything in it on removal', async () => {
    const group = await Cgroup.create(`test-${randomUUID()}`, { memoryMb: 256, cpus: 1, pids: 32 });
    expect(typeof group, String(group)).toBe('object');
    const cgroup = group as Cgroup;
    const child = spawn(
      process.execPath,
      ['-e', 'let x = 0; for (let i = 0; i < 3e7; i++) x += i; setInterval(() => {}, 1000)'],
      {
        stdio: 'ignore',
      },
    );
    try {
      await cgroup.add(child.pid!);
      await sleep(1_500);
      const usage = await cgroup.usage();
      expect(usage.pids).toBeGreaterThanOrEqual(1);
      expect(usage.memoryBytes).toBeGreaterThan(1024 * 1024);
      expect(usage.cpuSeconds).toBeGreaterThan(0);
      expect(await cgroup.pids()).toContain(child.pid);
    } finally {
      await cgroup.remove();
    }
    expect(await gone(child.pid!)).toBe(true);
    expect(cgroup.dirs.some((dir) => existsSync(dir))).toBe(false);
  });
});

describe('limits', () => {
  it('puts the service in a cgroup with the deployment limits', async () => {
    const created = await h.createWorkload(
      await h.deploy('hello', { memoryLimitMb: 200, cpuLimit: 0.5, pidsLimit: 64 }),
    );
    const running = await waitFor(h.app, created.id, (w) => w.stage === 'running' || terminal(w));
    expect(running.stage).toBe('running');
    const read = (controller: string, file: string) =>
      readFileSync(`${group(controller, created.id)}/${file}`, 'utf8').trim();
    if (V2) {
      expect(read('memory', 'memory.max')).toBe(String(200 * 1024 * 1024));
      expect(read('pids', 'pids.max')).toBe('64');
      expect(read('cpu', 'cpu.max')).toBe('50000 100000');
    } else {
      expect(read('memory', 'memory.limit_in_bytes')).toBe(String(200 * 1024 * 1024));
      expect(read('pids', 'pids.max')).toBe('64');
      expect(read('cpu', 'cpu.cfs_quota_us')).toBe('50000');
    }
    const procs = read('pids', 'cgroup.procs').split('\n').map(Number);
    // The service itself (a process below the workload's pid) is in the group.
    const status = (pid: number) => readFileSync(`/proc/${pid}/status`, 'utf8');
    expect(procs.some((pid) => /^PPid:/m.test(status(pid)))).toBe(true);
    expect(procs.length).toBeGreaterThanOrEqual(2);
    await h.app.gql(StopWorkloadDocument, { id: created.id });
  });

  it('a service allocating past its memory limit ends failed with the out-of-memory error', async () => {
    const created = await h.createWorkload(await h.deploy('memory-hog', { memoryLimitMb: 128 }));
    const running = await waitFor(h.app, created.id, (w) => w.stage === 'running' || terminal(w));
    expect(running.stage).toBe('running');
    await fetch(`${running.url}/grow`).then((r) => r.text());
    const failed = await waitFor(h.app, created.id, terminal);
    expect(failed).toMatchObject({
      stage: 'failed',
      failedStage: 'running',
      failureReason: 'memory',
      error: 'Out of memory: exceeded the 128 MB limit',
    });
    const logs = await logsOf(h.app, created.id);
    expect(logs.at(-1)?.message).toBe('Out of memory: exceeded the 128 MB limit');
  });

  it('a fork loop stops at pidsLimit', async () => {
    const created = await h.createWorkload(await h.deploy('fork-loop', { pidsLimit: 40 }));
    const running = await waitFor(h.app, created.id, (w) => w.stage === 'running' || terminal(w));
    expect(running.stage).toBe('running');
    const line = (await logsOf(h.app, created.id)).find((l) => l.message.startsWith('FORKED '));
    const [, count, refusal] = line!.message.split(' ');
    expect(Number(count)).toBeLessThan(40);
    expect(refusal).toBe('EAGAIN');
    await h.app.gql(StopWorkloadDocument, { id: created.id });
  });
});
