import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkloadRow } from '../../core/sql/create-workload.ts';
import { PORT_TAKEN, transitionWithPort } from '../../core/sql/ports.ts';
import { getWorkloadRow, transitionWorkload } from '../../core/sql/transition.ts';
import { allocatePort } from '../../runner/port-allocator.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { seedDeployment } from '../support/seed.ts';
import { logsOf, portBlock, startHarness, terminal, waitFor } from './harness.ts';

let db: TestDatabase;
let deploymentId: string;

beforeAll(async () => {
  db = await createTestDatabase();
  deploymentId = await seedDeployment(db);
});
afterAll(() => db?.drop());

/** A workload moved as far as `build`, as the runner has it before deploy. */
async function inBuild(): Promise<string> {
  const { id } = await createWorkloadRow(db.pool, deploymentId, 'svc');
  await transitionWorkload(db.pool, id, 'pending', 'validate');
  await transitionWorkload(db.pool, id, 'validate', 'build');
  return id;
}

/** Two ports of a block of this file's own. */
function twoPorts(): { from: number; to: number } {
  const from = Number(portBlock().split('-')[0]) + Math.floor(Math.random() * 98);
  return { from, to: from + 1 };
}

/** What the runner does for build → deploy: each candidate goes into the stage change. */
const moveToDeploy = (id: string) => async (port: number) => {
  const moved = await transitionWithPort(db.pool, id, 'build', 'deploy', port);
  if (moved === null) throw new Error('lost the race');
  return moved !== PORT_TAKEN;
};

describe('build → deploy with the port in the same statement', () => {
  it('records the port with the stage change; a port another live workload holds changes nothing', async () => {
    const a = await inBuild();
    const b = await inBuild();
    const { from } = twoPorts();
    expect(await transitionWithPort(db.pool, a, 'build', 'deploy', from)).toMatchObject({
      stage: 'deploy',
      port: from,
    });
    expect(await transitionWithPort(db.pool, b, 'build', 'deploy', from)).toBe(PORT_TAKEN);
    expect(await getWorkloadRow(db.pool, b)).toMatchObject({ stage: 'build', port: null });
  });

  it('answers null when another actor moved the workload first', async () => {
    const id = await inBuild();
    await transitionWorkload(db.pool, id, 'build', 'failed', {
      error: 'cancelled elsewhere',
      failureReason: 'cancelled',
    });
    expect(await transitionWithPort(db.pool, id, 'build', 'deploy', twoPorts().from)).toBeNull();
  });

  it('picks the next port when the database refuses one to a racing workload', async () => {
    const range = twoPorts();
    // Whichever port the random start tries first, one of the two is taken.
    const holder = await inBuild();
    await transitionWithPort(db.pool, holder, 'build', 'deploy', range.to);
    const id = await inBuild();
    const tried: number[] = [];
    const port = await allocatePort(range, new AbortController().signal, async (candidate) => {
      tried.push(candidate);
      return moveToDeploy(id)(candidate);
    });
    expect(port).toBe(range.from);
    expect(await getWorkloadRow(db.pool, id)).toMatchObject({ stage: 'deploy', port: range.from });
    expect([[range.from], [range.to, range.from]]).toContainEqual(tried);
  });

  it('finds nothing when every port is held, and a terminal workload gives its port back', async () => {
    const range = twoPorts();
    const holders = [await inBuild(), await inBuild()];
    await transitionWithPort(db.pool, holders[0]!, 'build', 'deploy', range.from);
    await transitionWithPort(db.pool, holders[1]!, 'build', 'deploy', range.to);
    const id = await inBuild();
    expect(await allocatePort(range, new AbortController().signal, moveToDeploy(id))).toBeUndefined();
    expect(await getWorkloadRow(db.pool, id)).toMatchObject({ stage: 'build', port: null });

    await transitionWorkload(db.pool, holders[1]!, 'deploy', 'failed', {
      error: 'gone',
      failureReason: 'runner_lost',
    });
    expect(await allocatePort(range, new AbortController().signal, moveToDeploy(id))).toBe(range.to);
  });

  it('stops trying once the lost race is reported', async () => {
    const id = await inBuild();
    await transitionWorkload(db.pool, id, 'build', 'failed', {
      error: 'stopped elsewhere',
      failureReason: 'cancelled',
    });
    await expect(allocatePort(twoPorts(), new AbortController().signal, moveToDeploy(id))).rejects.toThrow(
      'lost the race',
    );
  });
});

describe('a runner with no free port', () => {
  it('fails the workload in deploy, the stage that allocates the port', async () => {
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, resolve));
    const port = (busy.address() as { port: number }).port;
    const h = await startHarness(['hello'], { WORKLOAD_PORT_RANGE: `${port}-${port}` });
    try {
      await h.startRunner();
      const created = await h.createWorkload(await h.deploy('hello'));
      const failed = await waitFor(h.app, created.id, terminal);
      const error = `No free port in WORKLOAD_PORT_RANGE ${port}-${port}`;
      expect(failed).toMatchObject({ stage: 'failed', failedStage: 'deploy', port: null, error });
      expect((await logsOf(h.app, created.id)).at(-1)).toMatchObject({
        stage: 'deploy',
        level: 'error',
        message: error,
      });
    } finally {
      await h.close();
      busy.close();
    }
  });
});
