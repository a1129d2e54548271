import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RUNNER_RESTART_CHANNEL } from '../../core/sql/runner-restart.ts';
import { RunnersDocument, StopWorkloadDocument } from '../../sdk/index.ts';
import { type Harness, logsOf, portBlock, startHarness, terminal, waitFor } from './harness.ts';

let h: Harness;

beforeAll(async () => {
  h = await startHarness(['no-package', 'counted-build', 'hello'], { WORKLOAD_PORT_RANGE: portBlock() });
});
afterAll(() => h?.close());

describe('claiming across runners and the concurrency bound', () => {
  it('two runners on one database claim each of 20 workloads exactly once', async () => {
    const deploymentId = await h.deploy('no-package');
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push((await h.createWorkload(deploymentId)).id);
    const runners = await Promise.all([h.startRunner(), h.startRunner()]);
    const owners = new Set(runners.map((r) => r.id));

    for (const id of ids) {
      const done = await waitFor(h.app, id, terminal);
      expect(done).toMatchObject({ stage: 'failed', failedStage: 'validate' });
      expect(owners.has(done.runnerId!)).toBe(true);
      const claims = (await logsOf(h.app, id)).filter((l) => l.message.startsWith('Claimed by runner '));
      expect(claims.map((l) => l.message)).toEqual([`Claimed by runner ${done.runnerId}`]);
    }
    const { runners: listed } = await h.app.gql(RunnersDocument, {});
    for (const runner of runners) expect(listed.find((r) => r.id === runner.id)?.alive).toBe(true);
    await Promise.all(runners.map((r) => r.stop()));
    const { runners: after } = await h.app.gql(RunnersDocument, {});
    for (const runner of runners) expect(after.find((r) => r.id === runner.id)?.alive).toBe(false);
  });

  it('keeps at most RUNNER_CONCURRENCY workloads in validate/build/deploy, and reaches it', async () => {
    const deploymentId = await h.deploy('counted-build');
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await h.createWorkload(deploymentId)).id);
    const runner = await h.startRunner({ RUNNER_CONCURRENCY: '2' });
    for (const id of ids) expect((await waitFor(h.app, id, terminal)).failedStage).toBe('deploy');

    let overlap = 0;
    let most = 0;
    // The builds' own lines, in the order their timestamps say (800 ms apart within a build).
    const events = (await Promise.all(ids.map((id) => logsOf(h.app, id))))
      .flat()
      .filter((l) => l.message === 'BUILD start' || l.message === 'BUILD end')
      .sort(
        (a, b) => Date.parse(a.timestamp) - Date.parse(b.timestamp) || (a.message === 'BUILD end' ? -1 : 1),
      );
    expect(events).toHaveLength(10);
    for (const event of events) {
      overlap += event.message === 'BUILD start' ? 1 : -1;
      most = Math.max(most, overlap);
    }
    expect(most).toBe(2);
    await runner.stop();
  });

  it('a running service holds no slot: with concurrency 1, two services run side by side', async () => {
    const runner = await h.startRunner({ RUNNER_CONCURRENCY: '1' });
    const deploymentId = await h.deploy('hello');
    const first = await h.createWorkload(deploymentId);
    const second = await h.createWorkload(deploymentId);
    const a = await waitFor(h.app, first.id, (w) => w.stage === 'running' || terminal(w));
    const b = await waitFor(h.app, second.id, (w) => w.stage === 'running' || terminal(w));
    expect([a.stage, b.stage]).toEqual(['running', 'running']);
    expect(a.port).not.toBe(b.port);
    await runner.stop();
  });
});

describe('restart and orphans', () => {
  it('restarts its claim loop and connections on request, keeping hosted services', async () => {
    const runner = await h.startRunner();
    const deploymentId = await h.deploy('hello');
    const first = await h.createWorkload(deploymentId);
    const running = await waitFor(h.app, first.id, (w) => w.stage === 'running' || terminal(w));
    expect(running.stage).toBe('running');

    await h.app.db.pool.query(
      `with r as (update runner set restart_requested_at = now() where id = $1 returning id)
       select pg_notify($2, r.id::text) from r`,
      [runner.id, RUNNER_RESTART_CHANNEL],
    );
    for (let i = 0; ; i++) {
      const { rows } = await h.app.db.pool.query(
        'select restarted_at >= restart_requested_at as done from runner where id = $1',
        [runner.id],
      );
      if (rows[0].done) break;
      if (i > 400) throw new Error('the runner never confirmed its restart');
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(await (await fetch(running.url!)).text()).toBe('hello from nobody\n');

    // After the restart it still claims, and still obeys stop requests.
    const second = await h.createWorkload(deploymentId);
    expect((await waitFor(h.app, second.id, (w) => w.stage === 'running' || terminal(w))).stage).toBe(
      'running',
    );
    for (const id of [first.id, second.id]) {
      expect((await h.app.gql(StopWorkloadDocument, { id })).stopWorkload.stage).toBe('stopped');
    }
    await runner.stop();
  });

  it.each([
    ['stopped heartbeating long ago', `now() - interval '5 minutes'`, 'null'],
    ['stopped (a recent heartbeat, but gone)', 'now()', 'now()'],
  ])('fails workloads of a runner that %s', async (_, heartbeat, stopped) => {
    const deadRunner = randomUUID();
    await h.app.db.pool.query(
      `insert into runner (id, hostname, pid, concurrency, started_at, last_heartbeat_at, stopped_at)
       values ($1, 'gone', 1, 1, now() - interval '10 minutes', ${heartbeat}, ${stopped})`,
      [deadRunner],
    );
    const created = await h.createWorkload(await h.deploy('hello'));
    await h.app.db.pool.query(
      `update workload set stage = 'build', runner_id = $2, started_at = now() where id = $1`,
      [created.id, deadRunner],
    );
    const runner = await h.startRunner();
    const failed = await waitFor(h.app, created.id, terminal);
    expect(failed).toMatchObject({
      stage: 'failed',
      failedStage: 'build',
      error: `Runner ${deadRunner} stopped responding`,
    });
    await runner.stop();
  });
});
