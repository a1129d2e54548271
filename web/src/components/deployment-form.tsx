import { type FormEvent, useState } from 'react';
import { CreateDeploymentDocument, type Executor } from '../../../sdk/generated/graphql.ts';
import { request } from '../lib/api.ts';
import { useAction } from '../lib/hooks.ts';
import { SubmitRow } from './submit-row.tsx';

const EXECUTORS: readonly Executor[] = ['auto', 'local', 'docker'];

/** Creates a deployment of a project; shows the API's error as it is. */
export function CreateDeploymentForm({ projectId, onCreated }: { projectId: string; onCreated: () => void }) {
  const [serviceName, setServiceName] = useState('');
  const [servicePath, setServicePath] = useState('');
  const [executor, setExecutor] = useState<Executor>('auto');
  const [healthCheckPath, setHealthCheckPath] = useState('');
  const action = useAction(() =>
    request(CreateDeploymentDocument, {
      input: { projectId, serviceName, servicePath, executor, healthCheckPath: healthCheckPath || null },
    }),
  );
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (await action.run()) {
      setServiceName('');
      setServicePath('');
      setHealthCheckPath('');
      onCreated();
    }
  };
  return (
    <form className="inline-form" onSubmit={submit} aria-label="Create deployment">
      <input
        placeholder="service name"
        value={serviceName}
        onChange={(e) => setServiceName(e.target.value)}
      />
      <input
        placeholder="services/api"
        value={servicePath}
        onChange={(e) => setServicePath(e.target.value)}
      />
      <select
        value={executor}
        onChange={(e) => setExecutor(e.target.value as Executor)}
        aria-label="Executor"
      >
        {EXECUTORS.map((x) => (
          <option key={x}>{x}</option>
        ))}
      </select>
      <input
        placeholder="/health (optional)"
        value={healthCheckPath}
        onChange={(e) => setHealthCheckPath(e.target.value)}
      />
      <SubmitRow label="Create deployment" action={action} />
    </form>
  );
}
