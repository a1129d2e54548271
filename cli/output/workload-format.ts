import type { WorkloadFieldsFragment, WorkloadStage } from '../../sdk/index.ts';
import { duration, elapsed } from './format.ts';
import type { Colors } from './terminal.ts';

export function stageColor(stage: WorkloadStage, c: Colors): string {
  if (stage === 'running') return c.green(stage);
  if (stage === 'failed') return c.red(stage);
  if (stage === 'stopped') return c.dim(stage);
  return c.cyan(stage);
}

/** From claim to the end (or to now while it lives); '-' before a runner claimed it. */
export function workloadDuration(w: WorkloadFieldsFragment): string {
  return w.startedAt ? duration(elapsed(w.startedAt, w.finishedAt)) : '-';
}

/** `running at http://…`, `stopped`, `failed during build: <error>`. */
export function outcomeText(w: WorkloadFieldsFragment): string {
  if (w.stage === 'running') return `running${w.url ? ` at ${w.url}` : ''}`;
  if (w.stage === 'failed') {
    return `failed${w.failedStage ? ` during ${w.failedStage}` : ''}${w.error ? `: ${w.error}` : ''}`;
  }
  return w.stage;
}
