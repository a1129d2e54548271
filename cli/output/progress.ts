import type { Ora } from 'ora';
import type { LogEntryFieldsFragment, WorkloadFieldsFragment } from '../../sdk/index.ts';
import { duration } from './format.ts';
import { formatLogLine } from './log-line.ts';
import { type StageChange, StageTracker } from './stage-tracker.ts';
import { type Output, spinner as startSpinner } from './terminal.ts';
import { outcomeText } from './workload-format.ts';

/**
 * What `--follow` shows while a workload moves: on a TTY a list of stages
 * with a spinner on the current one, ✓/✗ and the time each took; otherwise
 * plain lines, or JSON lines with --json. Log entries go in between.
 */
export interface ProgressView {
  update(workload: WorkloadFieldsFragment): void;
  log(entry: LogEntryFieldsFragment): void;
  /** A note for people (reconnecting, no runner alive): stderr, never in the data. */
  notice(message: string): void;
  /** Stops any spinner; call once following is over, whatever the outcome. */
  close(): void;
}

const STAGE_TEXT: Record<string, string> = {
  pending: 'pending: waiting for a runner',
  validate: 'validate',
  build: 'build',
  deploy: 'deploy',
};

export function createProgressView(output: Output): ProgressView {
  if (output.json) return jsonView(output);
  return output.tty ? ttyView(output) : plainView(output);
}

function jsonView(output: Output): ProgressView {
  return {
    update: (workload) => output.data({ type: 'workload', ...workload }),
    log: (entry) => output.data({ type: 'log', ...entry }),
    notice: (message) => output.err(message),
    close: () => {},
  };
}

function plainView(output: Output): ProgressView {
  const tracker = new StageTracker();
  const show = (changes: StageChange[], w?: WorkloadFieldsFragment) => {
    for (const change of changes) {
      const took =
        change.previous && change.ms !== undefined ? ` (${change.previous} took ${duration(change.ms)})` : '';
      const outcome = w && change.stage === w.stage && !STAGE_TEXT[change.stage];
      output.out(`stage: ${outcome ? outcomeText(w) : change.stage}${took}`);
    }
  };
  return {
    update: (w) => show(tracker.fromState(w.stage, w.updatedAt, w.failedStage), w),
    log(entry) {
      show(tracker.fromLog(entry.stage, entry.timestamp));
      output.out(formatLogLine(entry, output));
    },
    notice: (message) => output.err(message),
    close: () => {},
  };
}

function ttyView(output: Output): ProgressView {
  const c = output.colors;
  const tracker = new StageTracker();
  let spinner: Ora | undefined;
  const mark = (change: StageChange, w: WorkloadFieldsFragment | undefined) => {
    if (!change.previous || !STAGE_TEXT[change.previous]) return;
    const failed = change.stage === 'failed' && w?.failedStage === change.previous;
    const symbol = failed ? c.red('✗') : c.green('✓');
    const text = `${change.previous}${change.ms === undefined ? '' : ` ${c.dim(duration(change.ms))}`}`;
    if (spinner) spinner.stopAndPersist({ symbol, text });
    else output.out(`${symbol} ${text}`);
    spinner = undefined;
  };
  const show = (changes: StageChange[], w?: WorkloadFieldsFragment) => {
    for (const change of changes) {
      mark(change, w);
      const next = STAGE_TEXT[change.stage];
      if (next) {
        spinner = startSpinner(output, next);
      } else if (w && change.stage === w.stage) {
        const symbol = w.stage === 'running' ? c.green('●') : w.stage === 'stopped' ? c.dim('■') : c.red('✗');
        output.out(`${symbol} ${outcomeText(w)}`);
      }
    }
  };
  return {
    update: (w) => show(tracker.fromState(w.stage, w.updatedAt, w.failedStage), w),
    log(entry) {
      show(tracker.fromLog(entry.stage, entry.timestamp));
      output.out(formatLogLine(entry, output));
    },
    notice: (message) => output.err(c.yellow(message)),
    close() {
      spinner?.stop();
      spinner = undefined;
    },
  };
}
