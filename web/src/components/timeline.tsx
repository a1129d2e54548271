import type { WorkloadFieldsFragment } from '../../../sdk/generated/graphql.ts';
import { formatDuration } from '../lib/format.ts';
import type { LogEntry } from '../lib/log-follower.ts';

export interface StageSpan {
  stage: string;
  startedAt: string;
  durationMs: number | undefined;
}

/**
 * When each stage started and how long it took, from the log: every stage
 * writes its first entry as it begins, and the next stage's first entry (or
 * the workload's end) closes it.
 */
export function stageSpans(entries: readonly LogEntry[], workload: WorkloadFieldsFragment): StageSpan[] {
  const starts: { stage: string; at: string }[] = [{ stage: 'pending', at: workload.createdAt }];
  for (const entry of entries) {
    if (
      entry.stage !== starts[starts.length - 1]!.stage &&
      entry.stage !== 'stopped' &&
      entry.stage !== 'failed'
    )
      starts.push({ stage: entry.stage, at: entry.timestamp });
  }
  return starts.map((start, i) => {
    const next = starts[i + 1]?.at ?? workload.finishedAt ?? undefined;
    return {
      stage: start.stage,
      startedAt: start.at,
      durationMs: next ? Date.parse(next) - Date.parse(start.at) : Date.now() - Date.parse(start.at),
    };
  });
}

export function Timeline({ spans, live }: { spans: StageSpan[]; live: boolean }) {
  return (
    <ol className="timeline" data-testid="timeline">
      {spans.map((span, i) => (
        <li key={span.stage} className={`timeline-${span.stage}`}>
          <strong>{span.stage}</strong> <time dateTime={span.startedAt}>{span.startedAt.slice(11, 23)}</time>{' '}
          <span className="duration">
            {formatDuration(span.durationMs)}
            {live && i === spans.length - 1 ? ' so far' : ''}
          </span>
        </li>
      ))}
    </ol>
  );
}
