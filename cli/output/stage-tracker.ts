import { INITIAL_STAGE, PROGRESS_STAGES as WORKING_STAGES } from '../../core/stages.ts';
import type { WorkloadStage } from '../../sdk/index.ts';
import { STAGES } from '../commands/options.ts';

/** Stages on the way to `running`, in order (waiting, then working): the ones progress shows one by one. */
export const PROGRESS_STAGES: readonly WorkloadStage[] = [INITIAL_STAGE, ...WORKING_STAGES];

export interface StageChange {
  stage: WorkloadStage;
  /** The stage left (undefined for the first one seen). */
  previous: WorkloadStage | undefined;
  /** How long `previous` lasted; undefined when a stage was passed over without a sign. */
  ms: number | undefined;
}

/**
 * Which stage a followed workload is in, and since when. Fed from two
 * sources that do not arrive in step: log entries (their `stage`) and
 * workload states. The runner writes entries in batches, so a state can
 * overtake the entries of the stage it ends; the progress stages after
 * `pending` are therefore taken from the entries, and states supply only the
 * stage a client joins in, `pending`, `running` and the terminal stages
 * (which carry url and error). It only moves forward; a stage passed over
 * without an entry is still reported, untimed. Times are the server's, so a
 * replay shows the same durations as a live run.
 */
export class StageTracker {
  private stage: WorkloadStage | undefined;
  /** When the current stage began; NaN when unknown (entered untimed, or none yet). */
  private since = Number.NaN;

  fromState(stage: WorkloadStage, at: string, failedStage?: WorkloadStage | null): StageChange[] {
    if (this.stage !== undefined && PROGRESS_STAGES.includes(stage) && stage !== INITIAL_STAGE) return [];
    // A failure names its stage: pass through it, so that it is the one marked failed.
    const before =
      stage === 'failed' && failedStage && PROGRESS_STAGES.includes(failedStage)
        ? this.enter(failedStage, undefined)
        : [];
    return [...before, ...this.enter(stage, at)];
  }

  fromLog(stage: WorkloadStage, at: string): StageChange[] {
    return PROGRESS_STAGES.includes(stage) ? this.enter(stage, at) : [];
  }

  /** Moves to `stage`, through the progress stages in between; `at` undefined: time unknown. */
  private enter(stage: WorkloadStage, at: string | undefined): StageChange[] {
    const from = this.stage === undefined ? -1 : STAGES.indexOf(this.stage);
    const to = STAGES.indexOf(stage);
    if (to <= from) return [];
    // `failed` can follow any stage; `running` and `stopped` come only after every progress stage.
    const passed =
      from < 0 || stage === 'failed'
        ? []
        : PROGRESS_STAGES.slice(from + 1, Math.min(to, PROGRESS_STAGES.length));
    const changes: StageChange[] = [];
    for (const next of [...passed, stage]) {
      const time = next === stage && at !== undefined ? new Date(at).getTime() : undefined;
      const timed = passed.length === 0 && time !== undefined && Number.isFinite(this.since);
      changes.push({
        stage: next,
        previous: this.stage,
        ms: timed ? Math.max(0, time - this.since) : undefined,
      });
      this.stage = next;
      this.since = time ?? Number.NaN;
    }
    return changes;
  }
}
