import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freeTcpPort } from '../../core/db/embedded.ts';
import { stageFailureReason } from '../../core/failure-reasons.ts';
import { insertLogBatch } from '../../core/sql/insert-logs.ts';
import { transitionWorkload } from '../../core/sql/transition.ts';
import type { WorkloadPatch } from '../../core/sql/workload-row.ts';
import type { WorkloadStage } from '../../core/stages.ts';
import { CreateWorkloadDocument } from '../../sdk/index.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { seedDeployment } from '../support/seed.ts';
import { type CuttableProxy, jsonLines, killStrayClis, startCli, startProxy } from './cli.ts';

/**
 * `--follow` against the real API, with the stages and log batches written
 * the way a runner writes them (transitionWorkload, insertLogBatch).
 */

let app: TestApp;
let root: string;
let deploymentId: string;
let proxy: CuttableProxy | undefined;

beforeAll(async () => {
  app = await startTestApp({ AGENTFORGE_RUNNER: 'off' });
  root = await mkdtemp(join(tmpdir(), 'agentforge-cli-follow-'));
  await mkdir(join(root, 'svc'));
  deploymentId = await seedDeployment(app.db, { rootPath: root, servicePath: 'svc' });
});
afterEach(async () => {
  killStrayClis();
  await proxy?.close();
  proxy = undefined;
});
afterAll(async () => {
  await app?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

const env = () => ({ AGENTFORGE_API_URL: app.url });

async function createWorkload(): Promise<string> {
  return (await app.gql(CreateWorkloadDocument, { input: { deploymentId } })).createWorkload.id;
}

const move = async (id: string, from: WorkloadStage, to: WorkloadStage, patch: WorkloadPatch = {}) => {
  // A move to failed carries its reason, as the runner's do.
  const reason = to === 'failed' && !patch.failureReason ? { failureReason: stageFailureReason(from) } : {};
  const row = await transitionWorkload(app.db.pool, id, from, to, { ...patch, ...reason });
  expect(row?.stage).toBe(to);
};

const clockStart = Date.parse('2030-01-01T00:00:00.000Z');
let ticks = 0;
const log = (id: string, stage: WorkloadStage, ...messages: string[]) =>
  insertLogBatch(
    app.db.pool,
    id,
    messages.map((message) => ({
      ts: new Date(clockStart + ticks++),
      stage,
      level: message.startsWith('!') ? ('error' as const) : ('info' as const),
      message,
    })),
  );

const lines = (stdout: string) => stdout.split('\n').filter((l) => l !== '');
const seqs = (stdout: string) =>
  jsonLines(stdout)
    .filter((e) => e.type === undefined || e.type === 'log')
    .map((e) => e.seq);
const stagesSeen = (stdout: string) =>
  jsonLines(stdout)
    .filter((e) => e.type === 'workload')
    .map((e) => e.stage);

describe('workload logs --follow', () => {
  it('streams a whole lifecycle live and exits 0 once the workload stopped', async () => {
    const id = await createWorkload();
    const cli = startCli(['workload', 'logs', id, '--follow'], env());
    await move(id, 'pending', 'validate');
    await log(id, 'validate', 'validating services/svc');
    await cli.waitForOutput((out) => out.includes('validating'));
    await move(id, 'validate', 'build');
    await log(id, 'build', 'npm ci', 'added 3 packages');
    await move(id, 'build', 'deploy', { port: 3100 });
    await log(id, 'deploy', 'starting on port 3100');
    await move(id, 'deploy', 'running', { url: 'http://127.0.0.1:3100' });
    await log(id, 'running', 'Service running on http://127.0.0.1:3100', '!boom in a request');
    await cli.waitForOutput((out) => out.includes('boom'));
    expect(cli.child.exitCode).toBeNull();
    await move(id, 'running', 'stopped', { exitCode: 0 });

    const result = await cli.done;
    expect(result.code).toBe(0);
    expect(lines(result.stdout).map((l) => l.replace(/^\[\d\d:\d\d:\d\d\.\d{3}\] /, ''))).toEqual([
      '[validate] validating services/svc',
      '[build] npm ci',
      '[build] added 3 packages',
      '[deploy] starting on port 3100',
      '[running] Service running on http://127.0.0.1:3100',
      '[running] !boom in a request',
    ]);
    expect(lines(result.stdout)[0]).toMatch(/^\[00:00:00\.\d{3}\] \[validate\]/);
    expect(result.stderr).toBe(`Workload ${id} stopped\n`);
  });

  it('resumes after the WebSocket is cut mid-stream: every entry once, in order; exit 1 when failed', async () => {
    proxy = await startProxy(app.port);
    const id = await createWorkload();
    await move(id, 'pending', 'validate');
    const cli = startCli(['workload', 'logs', id, '--follow', '--json'], { AGENTFORGE_API_URL: proxy.url });
    const batch = (from: number) => Array.from({ length: 50 }, (_, i) => `line ${from + i}`);

    await log(id, 'validate', ...batch(1));
    await cli.waitForOutput((out) => seqs(out).length === 50);
    expect(proxy.cut()).toBeGreaterThan(0);
    // Written while the CLI is disconnected: it must get these after reconnecting.
    await log(id, 'validate', ...batch(51));
    await cli.waitForOutput((out) => seqs(out).length >= 100);
    expect(proxy.cut()).toBeGreaterThan(0);
    await move(id, 'validate', 'build');
    await log(id, 'build', ...batch(101));
    await log(id, 'build', '!npm ci exited with code 1');
    await move(id, 'build', 'failed', { error: 'npm ci exited with code 1', failedStage: 'build' });

    const result = await cli.done;
    expect(result.code).toBe(1);
    const entries = jsonLines(result.stdout);
    expect(entries.map((e) => e.seq)).toEqual(Array.from({ length: 151 }, (_, i) => i + 1));
    expect(entries.map((e) => e.message).slice(0, 3)).toEqual(['line 1', 'line 2', 'line 3']);
    expect(entries.at(-1)).toMatchObject({
      stage: 'build',
      level: 'error',
      message: '!npm ci exited with code 1',
    });
    expect(result.stderr.match(/connection lost .*; reconnecting in \d+ms/g)?.length).toBeGreaterThanOrEqual(
      2,
    );
    expect(result.stderr).toContain(`Workload ${id} failed during build: npm ci exited with code 1`);
  });

  it('replays a finished workload from --after and exits at once', async () => {
    const id = await createWorkload();
    await move(id, 'pending', 'validate');
    await log(id, 'validate', 'a', 'b', 'c');
    await move(id, 'validate', 'failed', { error: 'no package.json', failedStage: 'validate' });
    const cli = startCli(['workload', 'logs', id, '--follow', '--after', '1', '--json'], env());
    const result = await cli.done;
    expect(result.code).toBe(1);
    expect(jsonLines(result.stdout).map((e) => e.message)).toEqual(['b', 'c']);
  });

  it('an unknown workload is NOT_FOUND at once (exit 2); a server that stays down ends with exit 2 after retries', async () => {
    const unknown = randomUUID();
    const missing = await startCli(['workload', 'logs', unknown, '--follow'], env()).done;
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(`error: Workload ${unknown} does not exist (NOT_FOUND)\n`);

    const down = await startCli(['workload', 'logs', unknown, '--follow'], {
      AGENTFORGE_API_URL: `http://127.0.0.1:${await freeTcpPort()}/graphql`,
    }).done;
    expect(down.code).toBe(2);
    expect(down.stdout).toBe('');
    expect(down.stderr.match(/reconnecting in/g)).toHaveLength(5);
    expect(down.stderr.trimEnd().split('\n').at(-1)).toMatch(
      /^error: Lost the connection while following workload .* \(5 retries\): .* \(NETWORK\)/,
    );
  });
});

describe('workload create --follow and deploy', () => {
  it('shows stage progress and stops following once running (exit 0, the workload keeps running)', async () => {
    const cli = startCli(['workload', 'create', '--deployment', deploymentId, '--follow', '--json'], env());
    await cli.waitForOutput((out) => stagesSeen(out).includes('pending'));
    const id = jsonLines(cli.stdout())[0].id as string;
    for (const [from, to] of [
      ['pending', 'validate'],
      ['validate', 'build'],
      ['build', 'deploy'],
    ] as const) {
      await move(id, from, to);
      await log(id, to, `in ${to}`);
      await cli.waitForOutput((out) => stagesSeen(out).includes(to));
    }
    await log(id, 'deploy', 'ready');
    await move(id, 'deploy', 'running', { url: 'http://127.0.0.1:3101' });

    const result = await cli.done;
    expect(result.code).toBe(0);
    expect(stagesSeen(result.stdout)).toEqual(['pending', 'validate', 'build', 'deploy', 'running']);
    expect(seqs(result.stdout)).toEqual([1, 2, 3, 4]);
    expect(result.stderr).toContain('No runner is alive: pending workloads will wait.');
    const { rows } = await app.db.pool.query('select stage from workload where id = $1', [id]);
    expect(rows[0].stage).toBe('running');
    await move(id, 'running', 'stopped');
  });

  it('deploy <path> creates the deployment once, then reuses it; plain lines without a TTY; exit 1 on failure', async () => {
    const project = await app.db.pool.query(`select project_id from deployment where id = $1`, [
      deploymentId,
    ]);
    const projectId = project.rows[0].project_id as string;
    await mkdir(join(root, 'services', 'web'), { recursive: true });

    const first = startCli(['deploy', './services/web/', '--project', projectId], env());
    await first.waitForOutput((out) => /^Workload [0-9a-f-]{36}$/m.test(out));
    const firstId = /^Workload ([0-9a-f-]{36})$/m.exec(first.stdout())![1]!;
    await first.waitForOutput((out) => out.includes('stage: pending'));
    await move(firstId, 'pending', 'validate');
    await log(firstId, 'validate', '!package.json is not valid JSON');
    await move(firstId, 'validate', 'failed', {
      error: 'package.json is not valid JSON',
      failedStage: 'validate',
    });
    const failed = await first.done;
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/^Created deployment web \([0-9a-f-]{36}\) for services\/web\n/);
    expect(failed.stdout).toContain('[validate] !package.json is not valid JSON');
    expect(failed.stdout).toMatch(
      /stage: failed during validate: package.json is not valid JSON \(validate took/,
    );

    const second = startCli(['deploy', join(root, 'services', 'web'), '--project', projectId], env());
    await second.waitForOutput((out) => out.includes('stage: pending'));
    const secondId = /^Workload ([0-9a-f-]{36})$/m.exec(second.stdout())![1]!;
    expect(secondId).not.toBe(firstId);
    expect(second.stdout()).toMatch(/^Using deployment web /);
    await move(secondId, 'pending', 'validate');
    await log(secondId, 'validate', 'in validate');
    await second.waitForOutput((out) => out.includes('stage: validate'));
    await move(secondId, 'validate', 'build');
    await log(secondId, 'build', 'in build');
    await second.waitForOutput((out) => out.includes('stage: build'));
    await move(secondId, 'build', 'deploy');
    await log(secondId, 'deploy', 'in deploy');
    await second.waitForOutput((out) => out.includes('stage: deploy'));
    await move(secondId, 'deploy', 'running', { url: 'http://127.0.0.1:3102' });
    const ran = await second.done;
    expect(ran.code).toBe(0);
    expect(ran.stdout).toMatch(/stage: running at http:\/\/127\.0\.0\.1:3102 \(deploy took [\d.]+m?s\)\n$/);
    await move(secondId, 'running', 'stopped');
  });
});

describe('on a terminal', () => {
  const ESC = '\u001b[';

  it('shows stages with a spinner, ✓ marks and times, then the outcome', async () => {
    const cli = startCli(['workload', 'create', '--deployment', deploymentId, '--follow'], env(), {
      tty: true,
    });
    await cli.waitForOutput((out) => /Workload [0-9a-f-]{36}/.test(out));
    const id = /Workload ([0-9a-f-]{36})/.exec(cli.stdout())![1]!;
    await cli.waitForOutput((out) => out.includes('pending: waiting for a runner'));
    for (const [from, to] of [
      ['pending', 'validate'],
      ['validate', 'build'],
      ['build', 'deploy'],
    ] as const) {
      await move(id, from, to);
      // Stamped now, like a runner's entries: stage times mix entry and state times.
      await insertLogBatch(app.db.pool, id, [
        { ts: new Date(), stage: to, level: 'info', message: `working in ${to}` },
      ]);
      await cli.waitForOutput((out) => out.includes(`working in ${to}`));
    }
    await move(id, 'deploy', 'running', { url: 'http://127.0.0.1:3103' });
    const result = await cli.done;
    expect(result.code).toBe(0);
    // Spinner frames and cursor moves aside, every stage ends with its mark and its time.
    const text = result.stdout.replaceAll(/\u001b\[[0-9;?]*[A-Za-z]/g, '');
    for (const stage of ['pending', 'validate', 'build', 'deploy']) {
      expect(text).toMatch(new RegExp(`✓ ${stage} \\d+(\\.\\d)?m?s`));
    }
    expect(text).toContain('● running at http://127.0.0.1:3103');
    expect(text).toMatch(/\[\d\d:\d\d:\d\d\.\d{3}\] \[build\] working in build/);
    expect(result.stdout).toContain(`${ESC}32m✓`);
    await move(id, 'running', 'stopped');
  });

  it('colours log lines by level, unless NO_COLOR is set', async () => {
    const id = await createWorkload();
    await move(id, 'pending', 'validate');
    await log(id, 'validate', 'plain', '!broken');
    await move(id, 'validate', 'failed', { error: 'broken', failedStage: 'validate' });

    const coloured = await startCli(['workload', 'logs', id], env(), { tty: true }).done;
    expect(coloured.code).toBe(0);
    expect(coloured.stdout).toContain(`${ESC}31m!broken`);
    const plain = await startCli(['workload', 'logs', id], { ...env(), NO_COLOR: '1' }, { tty: true }).done;
    expect(plain.stdout).not.toContain(ESC);
    expect(plain.stdout).toContain('[validate] !broken');
  });

  it('escapes a service’s control characters on a terminal; --raw prints them as stored', async () => {
    const E = '\u001b';
    const id = await createWorkload();
    await move(id, 'pending', 'validate');
    // Sets the operator's clipboard (OSC 52), then overwrites its own line with a fake one.
    const clipboard = `${E}]52;c;ZWNobyBwd25lZA==\u0007`;
    const fake = `waiting\r${E}[2K${E}[32m✓ Service healthy`;
    await log(id, 'validate', clipboard, fake);
    await move(id, 'validate', 'failed', { error: 'x', failedStage: 'validate' });

    const shown = await startCli(['workload', 'logs', id], { ...env(), NO_COLOR: '1' }, { tty: true }).done;
    expect(shown.code).toBe(0);
    expect(shown.stdout).not.toContain(E);
    expect(shown.stdout).not.toContain('\u0007');
    expect(shown.stdout).toContain('[validate] \\x1b]52;c;ZWNobyBwd25lZA==\\x07');
    expect(shown.stdout).toContain('[validate] waiting\\r\\x1b[2K\\x1b[32m✓ Service healthy');

    const raw = await startCli(['workload', 'logs', id, '--raw'], { ...env(), NO_COLOR: '1' }, { tty: true })
      .done;
    expect(raw.stdout).toContain(clipboard);
    expect(raw.stdout).toContain(fake);
  });
});
