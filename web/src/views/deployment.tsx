import { useState } from 'react';
import { DeploymentDocument, type WorkloadFieldsFragment } from '../../../sdk/generated/graphql.ts';
import { StageBadge } from '../components/stage-badge.tsx';
import { UpdateDeploymentForm } from '../components/update-deployment-form.tsx';
import { WorkloadActions } from '../components/workload-actions.tsx';
import { between, formatBytes, formatDuration, formatTime, shortId } from '../lib/format.ts';
import { useQuery, useWorkloadUpdates } from '../lib/hooks.ts';

const PAGE = 20;
const TERMINAL = new Set(['stopped', 'failed']);

/** One deployment: its settings and its workloads, newest first, paged. */
export function DeploymentView({ id }: { id: string }) {
  const [pages, setPages] = useState(1);
  const { data, error, reload } = useQuery(DeploymentDocument, { id, first: PAGE * pages }, 3000);
  const deployment = data?.deployment;
  const nodes = deployment?.workloads.edges.map((e) => e.node) ?? [];
  const live = useWorkloadUpdates(nodes.filter((w) => !TERMINAL.has(w.stage)).map((w) => w.id));
  if (error) return <p className="error">{error}</p>;
  if (!data) return <p>Loading…</p>;
  if (!deployment) return <p className="error">No deployment {id}.</p>;
  return (
    <main>
      <p>
        <a href="#/">← Deployments</a>
      </p>
      <h1>
        {deployment.serviceName} <StageBadge stage={deployment.status} />
      </h1>
      <dl className="settings">
        <dt>project</dt>
        <dd>{deployment.project.name}</dd>
        <dt>path</dt>
        <dd>{deployment.servicePath}</dd>
        <dt>executor</dt>
        <dd>{deployment.executor}</dd>
        <dt>health check</dt>
        <dd>
          {deployment.healthCheckPath ?? 'TCP'}
          {deployment.healthCheckIntervalMs > 0
            ? ` every ${deployment.healthCheckIntervalMs} ms, ${deployment.healthCheckFailureThreshold} failures in a row end it`
            : ', at start only'}
        </dd>
        <dt>restarts</dt>
        <dd>
          {deployment.restartPolicy} (at most {deployment.maxRestarts})
        </dd>
        <dt>limits</dt>
        <dd>
          {deployment.memoryLimitMb ?? 'default'} MB · {deployment.cpuLimit ?? 'default'} CPUs ·{' '}
          {deployment.pidsLimit ?? 'default'} pids
        </dd>
        <dt>env</dt>
        <dd>{deployment.env.map((v) => (v.secret ? `${v.name} (secret)` : v.name)).join(', ') || '—'}</dd>
      </dl>
      <UpdateDeploymentForm key={deployment.updatedAt} deployment={deployment} onUpdated={reload} />
      <h2>Workloads</h2>
      <table className="workloads">
        <thead>
          <tr>
            <th>workload</th>
            <th>stage</th>
            <th>created</th>
            <th>duration</th>
            <th>error</th>
            <th>restart</th>
            <th>resources</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {nodes.map((node) => (
            <WorkloadRow key={node.id} workload={live.get(node.id) ?? node} onChanged={reload} />
          ))}
        </tbody>
      </table>
      {deployment.workloads.pageInfo.hasNextPage && (
        <button type="button" onClick={() => setPages(pages + 1)}>
          Older workloads
        </button>
      )}
    </main>
  );
}

function WorkloadRow({ workload, onChanged }: { workload: WorkloadFieldsFragment; onChanged: () => void }) {
  return (
    <tr data-workload={workload.id}>
      <td>
        <a href={`#/workloads/${workload.id}`}>{shortId(workload.id)}</a>
      </td>
      <td>
        <StageBadge stage={workload.stage} />
      </td>
      <td>{formatTime(workload.createdAt)}</td>
      <td>{formatDuration(between(workload.startedAt ?? workload.createdAt, workload.finishedAt))}</td>
      <td className="error-cell">{workload.error ?? ''}</td>
      <td>
        {workload.restartOf ? (
          <a href={`#/workloads/${workload.restartOf.id}`} title="The workload this one restarts">
            #{workload.attempt} of {shortId(workload.restartOf.id)}
          </a>
        ) : (
          `#${workload.attempt}`
        )}
        {workload.stage === 'pending' && workload.scheduledAt
          ? ` at ${formatTime(workload.scheduledAt)}`
          : ''}
      </td>
      <td>
        {workload.resources
          ? `${formatBytes(workload.resources.memoryBytes)} · ${workload.resources.cpuPercent.toFixed(0)}% CPU · ${workload.resources.pids} pids`
          : '—'}
      </td>
      <td>
        <WorkloadActions
          workload={workload}
          onChanged={(created) => {
            onChanged();
            if (created) window.location.hash = `#/workloads/${created}`;
          }}
        />
      </td>
    </tr>
  );
}
