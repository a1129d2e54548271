import ora, { type Ora } from 'ora';
import type { LogEntryFieldsFragment, WorkloadFieldsFragment } from '../../sdk/index.ts';
import { duration } from './format.ts';
import { formatLogLine } from './log-line.ts';
import type { Output } from './terminal.ts';
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

/** Remembers the stage and when it was first seen, to time each stage. */
class StageClock {
  stage: string | undefined;
  since = Date.now();
  /** The previous stage and how long it lasted, when `stage` is a change. */
  enter(stage: string): { previous: string | undefined; ms: number } | undefined {
    if (stage === this.stage) return undefined;
    const change = { previous: this.stage, ms: Date.now() - this.since };
    this.stage = stage;
    this.since = Date.now();
    return change;
  }
}

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
  const clock = new StageClock();
  return {
    update(w) {
      const change = clock.enter(w.stage);
      if (!change) return;
      const took = change.previous ? ` (${change.previous} took ${duration(change.ms)})` : '';
      const text = STAGE_TEXT[w.stage] ? w.stage : outcomeText(w);
      output.out(`stage: ${text}${took}`);
    },
    log: (entry) => output.out(formatLogLine(entry, output.colors)),
    notice: (message) => output.err(message),
    close: () => {},
  };
}

function ttyView(output: Output): ProgressView {
  const c = output.colors;
  const clock = new StageClock();
  let spinner: Ora | undefined;
  const finish = (symbol: string, text: string) => {
    if (spinner) spinner.stopAndPersist({ symbol, text });
    else output.out(`${symbol} ${text}`);
    spinner = undefined;
  };
  return {
    update(w) {
      const change = clock.enter(w.stage);
      if (!change) return;
      if (change.previous && STAGE_TEXT[change.previous]) {
        const failedHere = w.stage === 'failed' && (w.failedStage ?? change.previous) === change.previous;
        const text = `${change.previous} ${c.dim(duration(change.ms))}`;
        if (failedHere) finish(c.red('✗'), text);
        else finish(c.green('✓'), text);
      }
      const next = STAGE_TEXT[w.stage];
      if (next) {
        spinner = ora({
          text: next,
          stream: process.stdout,
          discardStdin: false,
          color: c.isColorSupported ? 'cyan' : false,
        }).start();
      } else if (w.stage === 'running') {
        output.out(`${c.green('●')} ${outcomeText(w)}`);
      } else if (w.stage === 'stopped') {
        output.out(`${c.dim('■')} ${outcomeText(w)}`);
      } else {
        output.out(`${c.red('✗')} ${outcomeText(w)}`);
      }
    },
    log: (entry) => output.out(formatLogLine(entry, c)),
    notice: (message) => output.err(c.yellow(message)),
    close() {
      spinner?.stop();
      spinner = undefined;
    },
  };
}
