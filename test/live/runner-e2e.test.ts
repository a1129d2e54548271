import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StopWorkloadDocument, WorkloadUpdatedDocument } from '../../sdk/index.ts';
import { type Harness, logsOf, portBlock, startHarness, waitFor } from '../runner/harness.ts';
import { collectLogs, range } from './collect.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness(['log-printer', 'slow-build'], {
    WORKLOAD_PORT_RANGE: portBlock(),
    STOP_TIMEOUT_MS: '3000',
  });
  await h.startRunner();
});
afterAll(() => h?.close());

const printer = (env: Record<string, string>) =>
  h.deploy('log-printer', { env: Object.entries(env).map(([name, value]) => ({ name, value })) });

/** Every entry of the workload, in order, and the subscriber saw exactly those. */
async function expectWholeLog(id: string, seqs: number[], messages: string[]) {
  const stored = await logsOf(h.app, id);
  expect(seqs).toEqual(range(1, stored.length));
  expect(messages).toEqual(stored.map((e) => e.message));
  return stored;
}

describe('workloadLogs through the runner', () => {
  it('completes on stop after the last entry, with every printed line in between', async () => {
    const created = await h.createWorkload(await printer({ LOG_LINES: '5000', LOG_RATE: '5000' }));
    const stages: string[] = [];
    const updates = h.app.sdk.subscribe(
      WorkloadUpdatedDocument,
      { workloadId: created.id },
      ({ workloadUpdated }) => {
        if (stages.at(-1) !== workloadUpdated.stage) stages.push(workloadUpdated.stage);
      },
    );
    const sub = collectLogs(h.app.sdk, created.id);
    await waitFor(
      h.app,
      created.id,
      () => sub.messages.some((m) => m.startsWith('line 5000 ')),
      30_000,
    ).catch((e) => {
      console.log('GOT', sub.seqs.length, sub.seqs.slice(-3), sub.messages.slice(0, 14));
      throw e;
    });
    const { stopWorkload } = await h.app.gql(StopWorkloadDocument, { id: created.id });
    expect(stopWorkload.stage).toBe('stopped');
    await Promise.all([sub.done, updates]);
    const stored = await expectWholeLog(created.id, sub.seqs, sub.messages);
    // The service prints from the moment it listens: the first lines may belong to deploy.
    const printed = stored.filter((e) => e.message.startsWith('line '));
    expect(printed.map((e) => Number(e.message.split(' ')[1]))).toEqual(range(1, 5000));
    expect(stages.slice(-2)).toEqual(['running', 'stopped']);
  });

  it('completes on a crash, after the lines printed before it', async () => {
    const created = await h.createWorkload(await printer({ LOG_LINES: '2000', LOG_EXIT: '3' }));
    const sub = collectLogs(h.app.sdk, created.id);
    await sub.done;
    const stored = await expectWholeLog(created.id, sub.seqs, sub.messages);
    expect(stored.filter((e) => e.message.startsWith('line ')).length).toBe(2000);
    const workload = await waitFor(h.app, created.id, (w) => w.stage === 'failed');
    expect(workload.error).toContain('exit code 3');
  });

  it('completes on cancel, the cancellation being the last entry', async () => {
    const created = await h.createWorkload(await h.deploy('slow-build'));
    const sub = collectLogs(h.app.sdk, created.id);
    await waitFor(h.app, created.id, (w) => w.stage === 'build');
    await h.app.gql(StopWorkloadDocument, { id: created.id });
    await sub.done;
    await expectWholeLog(created.id, sub.seqs, sub.messages);
    expect(sub.messages.at(-1)).toBe('Cancelled by user during build');
  });
});
