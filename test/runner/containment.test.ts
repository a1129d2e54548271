import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rename, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeploymentDocument, StopWorkloadDocument } from '../../sdk/index.ts';
import {
  descendantsOf,
  gone,
  type Harness,
  logsOf,
  portBlock,
  startHarness,
  terminal,
  waitFor,
} from './harness.ts';

/**
 * The sandbox of local workloads (docs/containment.md), against real bubblewrap and
 * real cgroups: what a service (or a payload in its env) can see and do.
 */
let h: Harness;
let marker: string;

beforeAll(async () => {
  h = await startHarness(['sandbox-probe', 'swap-during-build', 'hello'], {
    WORKLOAD_PORT_RANGE: portBlock(),
  });
  marker = join(h.root, 'escaped.txt');
  await h.startRunner();
});
afterAll(() => h?.close());

async function runUntilRunning(servicePath: string, options: Parameters<Harness['deploy']>[1] = {}) {
  const created = await h.createWorkload(await h.deploy(servicePath, options));
  const running = await waitFor(h.app, created.id, (w) => w.stage === 'running' || terminal(w));
  return { created, running, logs: () => logsOf(h.app, created.id) };
}

async function probeReport(id: string) {
  for (let i = 0; i < 100; i++) {
    const line = (await logsOf(h.app, id)).find((l) => l.message.startsWith('PROBE '));
    if (line) return JSON.parse(line.message.slice('PROBE '.length));
    await sleep(100);
  }
  throw new Error('the probe reported nothing');
}

describe('a sandboxed service', () => {
  it('runs as a uid that is neither root nor the runner, sees only its own processes, and cannot reach the runner', async () => {
    const { created, running } = await runUntilRunning('sandbox-probe', {
      env: [
        { name: 'PROBE_WRITE', value: marker },
        { name: 'PROBE_RUNNER_PID', value: String(process.pid) },
      ],
    });
    expect(running.stage).toBe('running');
    const report = await probeReport(created.id);
    expect(report.uid).not.toBe(0);
    expect(report.uid).not.toBe(process.getuid!());
    expect(report.uid).toBeGreaterThanOrEqual(200_000);
    // Its own pid namespace: the sandbox's first process and the service.
    expect(report.pids).toBeLessThanOrEqual(3);
    expect(report.environLeak).toBe(false);
    expect(report.runnerEnviron).toBe('ENOENT');
    expect(report.shadow).toBe('EACCES');
    expect(report.write).toMatch(/ENOENT|EACCES|EROFS/);
    expect(existsSync(marker)).toBe(false);
    expect(report.ownEnv).not.toContain('DATABASE_URL');
    expect(report.cwd).toBe('/workload');
    // The host sees it under that uid too.
    const status = readFileSync(`/proc/${running.pid}/status`, 'utf8');
    expect(status).toMatch(new RegExp(`^Uid:\\s+${report.uid}\\s`, 'm'));
    await h.app.gql(StopWorkloadDocument, { id: created.id });
  });

  it('a NODE_OPTIONS payload (stored before the API refused it) cannot read the runner environment or write outside', async () => {
    const deploymentId = await h.deploy('hello');
    const payload = [
      "import fs from 'node:fs';",
      "const seen = fs.readdirSync('/proc').filter((p) => /^\\d+$/.test(p) && p !== String(process.pid)).map((p) => { try { return fs.readFileSync('/proc/' + p + '/environ', 'utf8'); } catch (e) { return e.code; } });",
      `let runner; try { runner = fs.readFileSync('/proc/${process.pid}/environ', 'utf8').length; } catch (e) { runner = e.code; }`,
      `let wrote; try { fs.writeFileSync(${JSON.stringify(marker)}, 'x'); wrote = 'yes'; } catch (e) { wrote = e.code; }`,
      "console.log('PAYLOAD ' + JSON.stringify({ leak: seen.some((t) => /DATABASE_URL|AGENTFORGE_/.test(t)), runner, wrote }));",
    ].join('\n');
    // The API refuses the name (bad-input tests); a row from before the rule still reaches the runner.
    await h.app.db.pool.query(`update deployment set env = $2 where id = $1`, [
      deploymentId,
      JSON.stringify([
        { name: 'NODE_OPTIONS', value: `--import=data:text/javascript,${encodeURIComponent(payload)}` },
      ]),
    ]);
    const created = await h.createWorkload(deploymentId);
    await waitFor(h.app, created.id, (w) => w.stage === 'running' || terminal(w));
    const line = (await logsOf(h.app, created.id)).find((l) => l.message.startsWith('PAYLOAD '));
    expect(line, 'the payload ran (inside the sandbox)').toBeDefined();
    const seen = JSON.parse(line!.message.slice('PAYLOAD '.length));
    expect(seen).toEqual({
      leak: false,
      runner: 'ENOENT',
      wrote: expect.stringMatching(/ENOENT|EACCES|EROFS/),
    });
    expect(existsSync(marker)).toBe(false);
    await h.app.gql(StopWorkloadDocument, { id: created.id }).catch(() => {});
  });

  it('a service directory swapped for a symlink during build still runs the copy validate found', async () => {
    const outside = join(h.root, '..', `outside-${Date.now()}`);
    await mkdir(outside, { recursive: true });
    await writeFile(
      join(outside, 'package.json'),
      JSON.stringify({ name: 'evil', scripts: { start: 'node index.js' } }),
    );
    await writeFile(
      join(outside, 'index.js'),
      `require('fs').writeFileSync(${JSON.stringify(marker)}, 'evil'); require('http').createServer((q, r) => r.end('evil\\n')).listen(+process.env.PORT, process.env.HOST);`,
    );
    const created = await h.createWorkload(await h.deploy('swap-during-build'));
    await waitFor(h.app, created.id, (w) => w.stage === 'build' || terminal(w));
    for (let i = 0; i < 200; i++) {
      if ((await logsOf(h.app, created.id)).some((l) => l.message === 'BUILD started')) break;
      await sleep(50);
    }
    const dir = join(h.root, 'swap-during-build');
    await rename(dir, `${dir}-orig`);
    await symlink(outside, dir);
    const running = await waitFor(h.app, created.id, (w) => w.stage === 'running' || terminal(w));
    expect(running.stage).toBe('running');
    expect(await (await fetch(running.url!)).text()).toBe('original\n');
    expect(existsSync(marker)).toBe(false);
    await h.app.gql(StopWorkloadDocument, { id: created.id });
  });

  it('a main outside the service directory runs nothing', async () => {
    const dir = join(h.root, 'main-outside');
    await mkdir(join(h.root, 'elsewhere'), { recursive: true });
    await writeFile(
      join(h.root, 'elsewhere', 'evil.js'),
      `require('fs').writeFileSync(${JSON.stringify(marker)}, 'evil');`,
    );
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'x', main: '../elsewhere/evil.js' }));
    const created = await h.createWorkload(await h.deploy('main-outside'));
    const failed = await waitFor(h.app, created.id, terminal);
    expect(failed).toMatchObject({ stage: 'failed', failedStage: 'validate' });
    expect(failed.error).toMatch(/"main" leads outside the service directory/);
    expect(existsSync(marker)).toBe(false);
  });

  it('a package.json that is a symlink to a secret is refused without echoing it', async () => {
    const dir = join(h.root, 'linked-manifest');
    await mkdir(dir, { recursive: true });
    const secret = join(h.root, '..', `secret-${Date.now()}.txt`);
    await writeFile(secret, 'root:TOPSECRETHASH:19000:0:99999:7:::\n');
    await symlink(secret, join(dir, 'package.json'));
    const created = await h.createWorkload(await h.deploy('linked-manifest'));
    const failed = await waitFor(h.app, created.id, terminal);
    expect(failed).toMatchObject({ stage: 'failed', failedStage: 'validate' });
    expect(failed.error).toMatch(/package\.json is a symlink/);
    const text = JSON.stringify(await logsOf(h.app, created.id));
    expect(text).not.toMatch(/TOPSECRET|root:/);
  });

  it('an invalid package.json is reported without its content', async () => {
    const dir = join(h.root, 'garbled');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'package.json'), 'SECRETBYTES{');
    const created = await h.createWorkload(await h.deploy('garbled'));
    const failed = await waitFor(h.app, created.id, terminal);
    expect(failed.error).toMatch(/package\.json is not valid JSON/);
    expect(JSON.stringify(await logsOf(h.app, created.id))).not.toContain('SECRETBYTES');
  });

  it('a secret env value is given to the service, reads back as null and never reaches a log', async () => {
    const { created, running, logs } = await runUntilRunning('hello', {
      env: [{ name: 'GREETING', value: 'hush-hush-4711', secret: true }],
    });
    expect(running.stage).toBe('running');
    expect(await (await fetch(running.url!)).text()).toBe('hello from hush-hush-4711\n');
    const { deployment } = await h.app.gql(DeploymentDocument, { id: running.deploymentId });
    expect(deployment?.env).toEqual([{ name: 'GREETING', value: null, secret: true }]);
    await h.app.gql(StopWorkloadDocument, { id: created.id });
    expect(JSON.stringify(await logs())).not.toContain('hush-hush-4711');
  });

  it('leaves no working copy and no cgroup behind once the workload ended', async () => {
    const { created, running } = await runUntilRunning('hello');
    expect(running.stage).toBe('running');
    const copy = join(process.cwd(), '.data', 'workloads', created.id);
    expect(existsSync(copy)).toBe(true);
    const below = descendantsOf(running.pid!);
    await h.app.gql(StopWorkloadDocument, { id: created.id });
    for (const pid of below) expect(await gone(pid)).toBe(true);
    // Released right after the terminal stage is recorded.
    const group = `/sys/fs/cgroup/pids/agentforge/${created.id}`;
    for (let i = 0; i < 200 && (existsSync(copy) || existsSync(group)); i++) await sleep(50);
    expect(existsSync(copy)).toBe(false);
    expect(existsSync(group)).toBe(false);
  });
});
