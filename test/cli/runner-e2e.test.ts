import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ProjectsDocument } from '../../sdk/index.ts';
import { gone, type Harness, isAlive, portBlock, startHarness } from '../runner/harness.ts';
import { jsonLines, killStrayClis, runCli, startCli } from './cli.ts';

/** The CLI end to end: the real API and a real Runner running real services from test/fixtures. */

let h: Harness;
let projectId: string;

beforeAll(async () => {
  h = await startHarness(['hello', 'build-fail', 'crash-loop'], { WORKLOAD_PORT_RANGE: portBlock() });
  await h.startRunner();
  projectId = (await h.app.gql(ProjectsDocument, {})).projects[0]!.id;
});
afterEach(killStrayClis);
afterAll(() => h?.close());

const env = () => ({ AGENTFORGE_API_URL: h.app.url });
const cli = (...args: string[]) => runCli(args, env());

describe('agentforge with a real runner', () => {
  it('deploys a service, keeps it through a runner restart, follows its log until stopped', async () => {
    const deployed = await cli('deploy', 'hello', '--project', projectId, '--health-path', '/health');
    expect(deployed.stderr).toBe('');
    expect(deployed.code).toBe(0);
    const id = /^Workload ([0-9a-f-]{36})$/m.exec(deployed.stdout)![1]!;
    const url = /^stage: running at (http:\/\/127\.0\.0\.1:\d+) \(deploy took /m.exec(deployed.stdout)?.[1];
    expect(url).toBeDefined();
    expect(deployed.stdout).toMatch(/^stage: validate$/m);
    expect(deployed.stdout).toMatch(/^stage: build \(validate took /m);
    expect(deployed.stdout).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] \[validate\] /m);
    expect(await (await fetch(url!)).text()).toBe('hello from nobody\n');

    const status = await cli('gateway', 'status');
    expect(status.stdout).toMatch(/1 runner alive, 1 active workload, concurrency \d+/);
    const restart = await cli('gateway', 'restart');
    expect(restart.code).toBe(0);
    expect(restart.stdout).toMatch(/^✓ .*:\d+ \([0-9a-f-]{36}\) restarted in /);

    const inspect = JSON.parse((await cli('workload', 'inspect', id, '--json')).stdout);
    expect(inspect).toMatchObject({ id, stage: 'running', url });
    expect(isAlive(inspect.pid)).toBe(true);
    expect(inspect.lastLogs.map((e: { message: string }) => e.message)).toContain(
      `Service running on ${url}`,
    );

    const follow = startCli(['workload', 'logs', id, '--follow', '--json'], env());
    await follow.waitForOutput((out) => out.includes('Service running on'));
    const stop = await cli('workload', 'stop', id);
    expect(stop).toMatchObject({ code: 0, stdout: `Workload ${id} stopped\n` });
    const followed = await follow.done;
    expect(followed.code).toBe(0);
    expect(followed.stderr).toBe(`Workload ${id} stopped\n`);
    const seqs = jsonLines(followed.stdout).map((e) => e.seq);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
    expect(await gone(inspect.pid)).toBe(true);
  });

  it('deploy --json exits 1 when the build fails, with the failure in the last state', async () => {
    const result = await cli('deploy', 'build-fail', '--project', projectId, '--executor', 'local', '--json');
    expect(result.code).toBe(1);
    const events = jsonLines(result.stdout);
    expect(events[0]).toMatchObject({ type: 'deployment', created: true, servicePath: 'build-fail' });
    expect(events.filter((e) => e.type === 'workload').at(-1)).toMatchObject({
      stage: 'failed',
      failedStage: 'build',
    });
    expect(events.some((e) => e.type === 'log' && e.stage === 'build')).toBe(true);
  });

  it('logs --follow and deploy show a restart as it happens; deployment update and delete', async () => {
    const deployed = await cli(
      'deploy',
      'crash-loop',
      '--project',
      projectId,
      '--executor',
      'local',
      '--restart',
      'on_failure',
      '--max-restarts',
      '1',
      '--json',
    );
    expect(deployed.code).toBe(0);
    const events = jsonLines(deployed.stdout);
    const deployment = events[0] as { id: string; restartPolicy: string; maxRestarts: number };
    expect(deployment).toMatchObject({ type: 'deployment', restartPolicy: 'on_failure', maxRestarts: 1 });
    const first = events.find((e) => e.type === 'workload')!.id as string;

    // Following the log from the start: the crash, the restart, the restart's own log and its end.
    const followed = await cli('workload', 'logs', first, '--follow');
    expect(followed.code).toBe(1);
    const lines = followed.stderr.trimEnd().split('\n');
    expect(lines[0]).toBe(`Workload ${first} failed during running: Service crashed with exit code 1`);
    expect(lines[1]).toMatch(/^Restarting as workload ([0-9a-f-]{36}) \(attempt 2\) at \d\d:\d\d:\d\d$/);
    const second = /workload ([0-9a-f-]{36})/.exec(lines[1]!)![1]!;
    expect(lines[2]).toBe(`Workload ${second} failed during running: Service crashed with exit code 1`);
    expect(followed.stdout).toContain('Restart policy on_failure: restarting as attempt 2 in 1 s');
    expect(followed.stdout).toContain(`Restart of workload ${first} (attempt 2)`);
    expect(followed.stdout).toContain('Not restarting: 1 restart in a row already (maxRestarts 1)');

    const updated = await cli(
      'deployment',
      'update',
      deployment.id,
      '--max-restarts',
      '0',
      '--no-health-path',
      '--json',
    );
    expect(updated.code).toBe(0);
    expect(JSON.parse(updated.stdout)).toMatchObject({
      id: deployment.id,
      maxRestarts: 0,
      restartPolicy: 'on_failure',
      healthCheckPath: null,
    });
    const text = await cli(
      'deployment',
      'update',
      deployment.id,
      '--health-interval',
      '5000',
      '--health-timeout',
      '1000',
    );
    expect(text.stdout).toBe(
      `Updated deployment crash-loop (${deployment.id}): health every 5000 ms (timeout 1000 ms, 3 in a row), restart on_failure (max 0)\n`,
    );
    const refused = await cli('deployment', 'update', deployment.id, '--health-interval', '50');
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/healthCheckIntervalMs is 50/);

    const deleted = await cli('deployment', 'delete', deployment.id);
    expect(deleted).toMatchObject({ code: 0, stdout: `Deleted deployment ${deployment.id}\n` });
    const again = await cli('deployment', 'delete', deployment.id);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/does not exist/);
    // Eight CLI processes and two restarts: a bound for a loaded machine, not a speed check.
  }, 240_000);
});
