import { type FormEvent, useState } from 'react';
import {
  type DeploymentFieldsFragment,
  type RestartPolicy,
  UpdateDeploymentDocument,
  type UpdateDeploymentInput,
} from '../../../sdk/generated/graphql.ts';
import { request } from '../lib/api.ts';
import { useAction } from '../lib/hooks.ts';
import { SubmitRow } from './submit-row.tsx';

const POLICIES: readonly RestartPolicy[] = ['never', 'on_failure', 'always'];

/** A number field's value: undefined when left empty (the setting keeps its value). */
function numberOrUndefined(text: string): number | undefined {
  return text.trim() === '' ? undefined : Number(text);
}

/**
 * Changes a deployment's running settings and limits; the next workload uses
 * them. Only the fields changed are sent, and the API's error is shown as it is.
 */
export function UpdateDeploymentForm({
  deployment,
  onUpdated,
}: {
  deployment: DeploymentFieldsFragment;
  onUpdated: () => void;
}) {
  const [values, setValues] = useState(() => ({
    healthCheckPath: deployment.healthCheckPath ?? '',
    healthCheckIntervalMs: String(deployment.healthCheckIntervalMs),
    restartPolicy: deployment.restartPolicy,
    maxRestarts: String(deployment.maxRestarts),
    memoryLimitMb: String(deployment.memoryLimitMb ?? ''),
    cpuLimit: String(deployment.cpuLimit ?? ''),
    pidsLimit: String(deployment.pidsLimit ?? ''),
  }));
  const set = (name: keyof typeof values) => (event: { target: { value: string } }) =>
    setValues({ ...values, [name]: event.target.value });
  const action = useAction(() => {
    const input: UpdateDeploymentInput = {
      healthCheckPath: values.healthCheckPath.trim() === '' ? null : values.healthCheckPath,
      healthCheckIntervalMs: numberOrUndefined(values.healthCheckIntervalMs),
      restartPolicy: values.restartPolicy,
      maxRestarts: numberOrUndefined(values.maxRestarts),
      memoryLimitMb: numberOrUndefined(values.memoryLimitMb),
      cpuLimit: numberOrUndefined(values.cpuLimit),
      pidsLimit: numberOrUndefined(values.pidsLimit),
    };
    return request(UpdateDeploymentDocument, { id: deployment.id, input });
  });
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (await action.run()) onUpdated();
  };
  return (
    <form className="inline-form" onSubmit={submit} aria-label="Update deployment">
      <label>
        health path{' '}
        <input value={values.healthCheckPath} onChange={set('healthCheckPath')} placeholder="TCP" />
      </label>
      <label>
        interval ms{' '}
        <input
          value={values.healthCheckIntervalMs}
          onChange={set('healthCheckIntervalMs')}
          inputMode="numeric"
        />
      </label>
      <label>
        restarts{' '}
        <select value={values.restartPolicy} onChange={set('restartPolicy')} aria-label="Restart policy">
          {POLICIES.map((p) => (
            <option key={p}>{p}</option>
          ))}
        </select>
      </label>
      <label>
        max <input value={values.maxRestarts} onChange={set('maxRestarts')} inputMode="numeric" size={4} />
      </label>
      <label>
        memory MB{' '}
        <input value={values.memoryLimitMb} onChange={set('memoryLimitMb')} inputMode="numeric" size={6} />
      </label>
      <label>
        CPUs <input value={values.cpuLimit} onChange={set('cpuLimit')} inputMode="decimal" size={4} />
      </label>
      <label>
        pids <input value={values.pidsLimit} onChange={set('pidsLimit')} inputMode="numeric" size={5} />
      </label>
      <SubmitRow label="Save settings" action={action} />
    </form>
  );
}
