import { useEffect, useMemo, useState } from 'react';
import { WorkloadDocument } from '../../../sdk/generated/graphql.ts';
import { LogView } from '../components/log-view.tsx';
import { StageBadge } from '../components/stage-badge.tsx';
import { stageSpans, Timeline } from '../components/timeline.tsx';
import { WorkloadActions } from '../components/workload-actions.tsx';
import { formatBytes, shortId } from '../lib/format.ts';
import { useQuery, useWorkloadUpdates } from '../lib/hooks.ts';
import { LogFollower } from '../lib/log-follower.ts';

/** One workload: live state, stage timeline, and its log following live. */
export function WorkloadView({ id }: { id: string }) {
  const { data, error } = useQuery(WorkloadDocument, { id }, 10_000);
  const updates = useWorkloadUpdates([id]);
  const [, setVersion] = useState(0);
  const follower = useMemo(() => new LogFollower(id, () => setVersion((v) => v + 1)), [id]);
  useEffect(() => {
    follower.start();
    return () => follower.stop();
  }, [follower]);

  if (error) return <p className="error">{error}</p>;
  if (!data) return <p>Loading…</p>;
  if (!data.workload) return <p className="error">No workload {id}.</p>;
  const workload = updates.get(id) ?? data.workload;
  const deployment = data.workload.deployment;
  const live = workload.stage !== 'stopped' && workload.stage !== 'failed';
  return (
    <main className="workload-view">
      <p>
        <a href="#/">Deployments</a> / <a href={`#/deployments/${deployment.id}`}>{deployment.serviceName}</a>{' '}
        / {shortId(workload.id)}
      </p>
      <h1>
        Workload {shortId(workload.id)} <StageBadge stage={workload.stage} />{' '}
        <WorkloadActions
          workload={workload}
          onChanged={(created) => {
            if (created) window.location.hash = `#/workloads/${created}`;
          }}
        />
      </h1>
      <p className="facts">
        {workload.url && live && (
          <>
            <a href={workload.url}>{workload.url}</a> ·{' '}
          </>
        )}
        executor {workload.executor ?? '—'} · pid {workload.pid ?? '—'} · exit code {workload.exitCode ?? '—'}{' '}
        · attempt {workload.attempt}
        {workload.resources &&
          ` · ${formatBytes(workload.resources.memoryBytes)} (peak ${formatBytes(workload.peakMemoryBytes)}) · ${workload.resources.cpuPercent.toFixed(0)}% CPU · ${workload.resources.pids} pids`}
      </p>
      {workload.error && (
        <p className="error" data-testid="workload-error">
          {workload.failedStage && <strong>{workload.failedStage}: </strong>}
          {workload.error}
        </p>
      )}
      <Timeline spans={stageSpans(follower.entries, workload)} live={live} />
      <p className="follow-status" data-testid="follow-status" data-status={follower.status}>
        log: {follower.status}
        {follower.reconnects > 0 ? ` (resumed ${follower.reconnects}×)` : ''}
        {follower.error ? ` — ${follower.error}` : ''}
      </p>
      <LogView entries={follower.entries} workloadId={workload.id} />
    </main>
  );
}
