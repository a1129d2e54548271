import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { stageFailureReason } from '../../core/failure-reasons.ts';
import { createWorkloadRow } from '../../core/sql/create-workload.ts';
import { transitionWorkload } from '../../core/sql/transition.ts';
import type { WorkloadStage } from '../../core/stages.ts';
import { seedDeployment } from '../support/seed.ts';

export const PRINTER = fileURLToPath(new URL('../fixtures/log-printer/print.mjs', import.meta.url));

const children = new Set<ChildProcess>();

/** The log-printer fixture as a child process (see its header for the env). */
export function spawnPrinter(env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, [PRINTER], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

export function killPrinters(): void {
  for (const child of children) child.kill('SIGKILL');
}

/** A new workload in `running` (moved through the stages as a runner would). */
export async function runningWorkload(pool: pg.Pool): Promise<string> {
  const deploymentId = await seedDeployment({ pool });
  const { id } = await createWorkloadRow(pool, deploymentId, 'svc');
  await moveThrough(pool, id, ['pending', 'validate', 'build', 'deploy', 'running']);
  return id;
}

export async function moveThrough(pool: pg.Pool, id: string, stages: WorkloadStage[]): Promise<void> {
  for (let i = 1; i < stages.length; i++) {
    const from = stages[i - 1] as WorkloadStage;
    const to = stages[i] as WorkloadStage;
    const moved = await transitionWorkload(
      pool,
      id,
      from,
      to,
      to === 'failed' ? { error: 'x', failedStage: from, failureReason: stageFailureReason(from) } : {},
    );
    if (!moved) throw new Error(`could not move ${id} ${from} → ${to}`);
  }
}

/** Asserts nothing, returns the seqs that break 1, 2, 3 … (empty when contiguous from first). */
export function gaps(seqs: number[], first = 1): number[] {
  const bad: number[] = [];
  seqs.forEach((seq, i) => {
    if (seq !== first + i) bad.push(seq);
  });
  return bad;
}
