import { CreateWorkloadDocument, StopWorkloadDocument } from '../../../sdk/generated/graphql.ts';
import { request } from '../lib/api.ts';
import { useAction } from '../lib/hooks.ts';

const TERMINAL = new Set(['stopped', 'failed']);

/** Stop (a live workload) and redeploy (a new workload of the deployment). */
export function WorkloadActions({
  workload,
  onChanged,
}: {
  workload: { id: string; deploymentId: string; stage: string };
  onChanged: (createdId?: string) => void;
}) {
  const stop = useAction(() => request(StopWorkloadDocument, { id: workload.id }));
  const redeploy = useAction(async () => {
    const { createWorkload } = await request(CreateWorkloadDocument, {
      input: { deploymentId: workload.deploymentId },
    });
    onChanged(createWorkload.id);
  });
  return (
    <span className="actions">
      {!TERMINAL.has(workload.stage) && (
        <button type="button" onClick={() => stop.run().then(() => onChanged())} disabled={stop.pending}>
          {stop.pending ? 'Stopping…' : 'Stop'}
        </button>
      )}
      <button type="button" onClick={() => redeploy.run()} disabled={redeploy.pending}>
        Redeploy
      </button>
      {(stop.error ?? redeploy.error) && (
        <span className="error" role="alert">
          {stop.error ?? redeploy.error}
        </span>
      )}
    </span>
  );
}
