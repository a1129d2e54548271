import { type FormEvent, useState } from 'react';
import {
  DashboardCreateProjectDocument,
  DashboardProjectsDocument,
  type DashboardProjectsQuery,
} from '../../../sdk/generated/graphql.ts';
import { CreateDeploymentForm } from '../components/deployment-form.tsx';
import { StageBadge } from '../components/stage-badge.tsx';
import { SubmitRow } from '../components/submit-row.tsx';
import { request } from '../lib/api.ts';
import { shortId } from '../lib/format.ts';
import { useAction, useQuery, useWorkloadUpdates } from '../lib/hooks.ts';

type Deployment = DashboardProjectsQuery['projects'][number]['deployments'][number];

/** Projects and their deployments, each with its live status. */
export function ProjectsView() {
  const { data, error, reload } = useQuery(DashboardProjectsDocument, {}, 3000);
  const current = (data?.projects ?? []).flatMap((p) =>
    p.deployments.flatMap((d) => d.currentWorkload ?? []),
  );
  const live = useWorkloadUpdates(current.map((w) => w.id));
  return (
    <main>
      <h1>Deployments</h1>
      {error && <p className="error">{error}</p>}
      {data?.projects.length === 0 && <p>No projects yet: create one below.</p>}
      {data?.projects.map((project) => (
        <section key={project.id} className="project" data-project={project.name}>
          <h2>
            {project.name} <small>{project.rootPath}</small>
          </h2>
          <table className="deployments">
            <thead>
              <tr>
                <th>service</th>
                <th>path</th>
                <th>executor</th>
                <th>status</th>
                <th>current workload</th>
                <th>url</th>
              </tr>
            </thead>
            <tbody>
              {project.deployments.map((deployment) => (
                <DeploymentRow key={deployment.id} deployment={deployment} live={live} />
              ))}
            </tbody>
          </table>
          <CreateDeploymentForm projectId={project.id} onCreated={reload} />
        </section>
      ))}
      <CreateProjectForm onCreated={reload} />
    </main>
  );
}

function DeploymentRow({
  deployment,
  live,
}: {
  deployment: Deployment;
  live: Map<string, Deployment['currentWorkload'] & {}>;
}) {
  const workload = deployment.currentWorkload
    ? (live.get(deployment.currentWorkload.id) ?? deployment.currentWorkload)
    : null;
  return (
    <tr data-deployment={deployment.serviceName}>
      <td>
        <a href={`#/deployments/${deployment.id}`}>{deployment.serviceName}</a>
      </td>
      <td>{deployment.servicePath}</td>
      <td>{deployment.executor}</td>
      <td>
        <StageBadge stage={workload?.stage ?? deployment.status} />
      </td>
      <td>
        {workload ? (
          <a href={`#/workloads/${workload.id}`} title="View logs">
            {shortId(workload.id)} · View logs
          </a>
        ) : (
          '—'
        )}
      </td>
      <td>
        {workload?.url && workload.stage === 'running' ? <a href={workload.url}>{workload.url}</a> : '—'}
      </td>
    </tr>
  );
}

function CreateProjectForm({ onCreated }: { onCreated: () => void }) {
  const [name, setName] = useState('');
  const [rootPath, setRootPath] = useState('');
  const action = useAction(() => request(DashboardCreateProjectDocument, { input: { name, rootPath } }));
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (await action.run()) {
      setName('');
      setRootPath('');
      onCreated();
    }
  };
  return (
    <form className="inline-form" onSubmit={submit} aria-label="Create project">
      <h2>New project</h2>
      <input placeholder="name" value={name} onChange={(e) => setName(e.target.value)} />
      <input
        placeholder="/srv/projects/shop"
        value={rootPath}
        onChange={(e) => setRootPath(e.target.value)}
      />
      <SubmitRow label="Create project" action={action} />
    </form>
  );
}
