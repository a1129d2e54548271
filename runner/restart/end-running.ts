import type pg from 'pg';
import { insertLogBatch, type LogEntryInput } from '../../core/sql/insert-logs.ts';
import { readRestartSettings } from '../../core/sql/restart-policy.ts';
import { insertRestart } from '../../core/sql/schedule-restart.ts';
import { transitionWorkload } from '../../core/sql/transition.ts';
import type { WorkloadPatch, WorkloadRow } from '../../core/sql/workload-row.ts';
import { planRestart, type RunningEnd } from './restart-plan.ts';

export interface RunningEnded {
  /** The ended workload, or null when another actor ended it first. */
  row: WorkloadRow | null;
  /** The restart scheduled for it, if the policy made one. */
  restart: WorkloadRow | null;
}

/**
 * Ends a running workload (`stopped` or `failed`) and applies its
 * deployment's restart policy, all in one transaction: the entry saying what
 * happens next, the terminal stage and the restart (a new pending workload
 * with its own first entry) commit together. So a client never sees the
 * deployment `failed` while a restart is coming, nor a restart whose
 * predecessor is still running; and a deleteDeployment either sees the
 * restart or happens before it (restart-policy.ts).
 *
 * The caller has flushed the workload's log; the entries written here
 * follow it.
 */
export async function endRunning(
  pool: pg.Pool,
  workload: Pick<WorkloadRow, 'id' | 'deploymentId' | 'servicePath' | 'attempt' | 'restartCount'>,
  end: Omit<RunningEnd, 'attempt' | 'restartCount'> & { patch: WorkloadPatch },
): Promise<RunningEnded> {
  const client = await pool.connect();
  try {
    await client.query('begin');
    const settings = await readRestartSettings(client, workload.deploymentId);
    const decision = settings
      ? planRestart(settings.policy, settings.maxRestarts, {
          stage: end.stage,
          stopRequested: end.stopRequested,
          ranMs: end.ranMs,
          attempt: workload.attempt,
          restartCount: workload.restartCount,
        })
      : { restart: null, why: null };
    const now = new Date();
    const entries: LogEntryInput[] = [];
    if (decision.restart) {
      const { attempt, delayMs } = decision.restart;
      entries.push({
        ts: now,
        stage: 'running',
        level: 'info',
        message: `Restart policy ${settings!.policy}: restarting as attempt ${attempt} in ${seconds(delayMs)}`,
      });
    } else if (decision.why) {
      entries.push({ ts: now, stage: 'running', level: 'warn', message: decision.why });
    }
    await insertLogBatch(client, workload.id, entries);
    const row = await transitionWorkload(client, workload.id, 'running', end.stage, end.patch);
    if (!row) {
      await client.query('rollback');
      return { row: null, restart: null };
    }
    let restart: WorkloadRow | null = null;
    if (decision.restart) {
      restart = await insertRestart(client, workload, decision.restart);
      await insertLogBatch(client, restart.id, [
        {
          ts: now,
          stage: 'pending',
          level: 'info',
          message: `Restart of workload ${workload.id} (attempt ${restart.attempt}), not before ${restart.scheduledAt!.toISOString()}`,
        },
      ]);
    }
    await client.query('commit');
    return { row, restart };
  } catch (error) {
    await client.query('rollback').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}
