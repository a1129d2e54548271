import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../../cli/program.ts';
import { freeTcpPort } from '../../core/db/embedded.ts';
import { insertLogBatch } from '../../core/sql/insert-logs.ts';
import { transitionWorkload } from '../../core/sql/transition.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { killStrayClis, runCli, startCli } from './cli.ts';

let app: TestApp;
let root: string;
let env: Record<string, string>;

beforeAll(async () => {
  app = await startTestApp({ AGENTFORGE_RUNNER: 'off' });
  root = await mkdtemp(join(tmpdir(), 'agentforge-cli-'));
  await mkdir(join(root, 'services', 'api'), { recursive: true });
  env = { AGENTFORGE_API_URL: app.url };
});
afterEach(killStrayClis);
afterAll(async () => {
  await app?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

async function ok(args: string[]) {
  const result = await runCli(args, env);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return result.stdout;
}

async function json(args: string[]) {
  return JSON.parse(await ok([...args, '--json']));
}

describe('projects and deployments', () => {
  it('creates and lists projects, as text and as JSON', async () => {
    const text = await ok(['project', 'create', '--name', 'shop', '--root', root]);
    expect(text).toMatch(/^Created project shop \([0-9a-f-]{36}\) at /);
    const created = await json(['project', 'create', '--name', 'docs', '--root', root]);
    expect(created).toMatchObject({ name: 'docs', rootPath: root });

    const list = await ok(['project', 'list']);
    const [header, ...rows] = list.trimEnd().split('\n');
    expect(header).toMatch(/^ID\s+NAME\s+ROOT\s+CREATED$/);
    expect(rows.some((r) => r.startsWith(created.id) && r.includes('docs'))).toBe(true);
    const all = await json(['project', 'list']);
    expect(all.map((p: { id: string }) => p.id)).toContain(created.id);
  });

  it('creates a deployment with executor, health path and env, and lists it by project', async () => {
    const project = await json(['project', 'create', '--name', 'p', '--root', root]);
    const d = await json([
      'deployment',
      'create',
      '--project',
      project.id,
      '--name',
      'api',
      '--path',
      './services/api/',
      '--executor',
      'local',
      '--health-path',
      '/health',
      '--env',
      'A=1',
      '--env',
      'B=x=y',
    ]);
    expect(d).toMatchObject({
      serviceName: 'api',
      servicePath: 'services/api',
      executor: 'local',
      healthCheckPath: '/health',
      env: [
        { name: 'A', value: '1' },
        { name: 'B', value: 'x=y' },
      ],
    });
    const text = await ok(['deployment', 'list', '--project', project.id]);
    expect(text).toMatch(/^ID\s+NAME\s+PATH\s+STATUS\s+EXECUTOR\s+WORKLOAD\n/);
    expect(text).toContain(`${d.id}  api   services/api  idle    local     -`);
    expect(await json(['deployment', 'list', '--project', project.id])).toHaveLength(1);
  });
});

describe('workloads', () => {
  let deploymentId: string;
  beforeAll(async () => {
    const project = await json(['project', 'create', '--name', 'w', '--root', root]);
    deploymentId = (
      await json(['deployment', 'create', '--project', project.id, '--name', 'api', '--path', 'services/api'])
    ).id;
  });

  it('creates, lists, inspects and stops a workload', async () => {
    const text = await ok(['workload', 'create', '--deployment', deploymentId]);
    const id = /^Created workload ([0-9a-f-]{36}) \(pending\)$/m.exec(text)?.[1];
    expect(id).toBeDefined();

    const list = await ok(['workload', 'list', '--deployment', deploymentId]);
    expect(list).toMatch(/^ID\s+STAGE\s+PATH\s+CREATED\s+DURATION\s+URL \/ ERROR\n/);
    expect(list).toContain(`${id}  pending  services/api`);
    const pending = await json(['workload', 'list', '--deployment', deploymentId, '--stage', 'pending']);
    expect(pending.map((w: { id: string }) => w.id)).toEqual([id]);

    const inspect = await ok(['workload', 'inspect', id!]);
    expect(inspect).toMatch(/^id:\s+[0-9a-f-]{36}$/m);
    expect(inspect).toMatch(/^stage:\s+pending$/m);
    expect(inspect).toContain('No log entries.');

    expect(await ok(['workload', 'stop', id!])).toBe(
      `Workload ${id} failed: Cancelled by user during pending\n`,
    );
    const after = await json(['workload', 'inspect', id!]);
    expect(after).toMatchObject({ id, stage: 'failed', failedStage: 'pending' });
    expect(after.lastLogs).toEqual([
      expect.objectContaining({ seq: 1, level: 'error', message: 'Cancelled by user during pending' }),
    ]);

    const again = await runCli(['workload', 'stop', id!], env);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/^error: Workload .* is already failed: .* \(INVALID_TRANSITION\)\n$/);
  });

  it('stops quietly with exit 0 when its reader goes away (| head)', async () => {
    const { id } = await json(['workload', 'create', '--deployment', deploymentId]);
    await transitionWorkload(app.db.pool, id, 'pending', 'validate');
    const long = 'x'.repeat(200);
    for (let batch = 0; batch < 5; batch++) {
      await insertLogBatch(
        app.db.pool,
        id,
        Array.from({ length: 2000 }, (_, i) => ({
          ts: new Date(),
          stage: 'validate' as const,
          level: 'info' as const,
          message: `${batch * 2000 + i + 1} ${long}`,
        })),
      );
    }
    const cli = startCli(['workload', 'logs', id], env);
    await cli.waitForOutput((out) => out.length > 0);
    cli.child.stdout!.destroy();
    const result = await cli.done;
    expect(result.stderr).not.toMatch(/EPIPE|Error/);
    expect(result.code).toBe(0);
  });

  it('prints a stored log with stage, level and --after filters, and the last 20 lines in inspect', async () => {
    const { id } = await json(['workload', 'create', '--deployment', deploymentId]);
    await transitionWorkload(app.db.pool, id, 'pending', 'validate');
    const at = new Date('2030-01-02T03:04:05.678Z');
    await insertLogBatch(
      app.db.pool,
      id,
      Array.from({ length: 30 }, (_, i) => ({
        ts: at,
        stage: i < 25 ? ('validate' as const) : ('build' as const),
        level: i % 10 === 9 ? ('warn' as const) : ('info' as const),
        message: `line ${i + 1}`,
      })),
    );

    const all = (await ok(['workload', 'logs', id])).trimEnd().split('\n');
    expect(all).toHaveLength(30);
    expect(all[0]).toBe('[03:04:05.678] [validate] line 1');
    expect(all[29]).toBe('[03:04:05.678] [build] line 30');

    expect((await ok(['workload', 'logs', id, '--after', '27'])).trimEnd().split('\n')).toEqual([
      '[03:04:05.678] [build] line 28',
      '[03:04:05.678] [build] line 29',
      '[03:04:05.678] [build] line 30',
    ]);
    const warnings = await ok(['workload', 'logs', id, '--level', 'warn', '--json']);
    expect(
      warnings
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l).seq),
    ).toEqual([10, 20, 30]);
    expect((await ok(['workload', 'logs', id, '--stage', 'build'])).trimEnd().split('\n')).toHaveLength(5);

    const inspect = await ok(['workload', 'inspect', id]);
    expect(inspect).toContain('Last 20 of 30 log lines:');
    expect(inspect).toContain('[validate] line 11\n');
    expect(inspect).not.toContain('[validate] line 10\n');
  });
});

describe('errors', () => {
  it('says plainly when an id is unknown or malformed, exit 2', async () => {
    const unknown = randomUUID();
    for (const args of [
      ['workload', 'inspect', unknown],
      ['workload', 'logs', unknown],
    ]) {
      const result = await runCli(args, env);
      expect(result).toMatchObject({ code: 2, stdout: '' });
      expect(result.stderr).toBe(`error: Workload ${unknown} does not exist (NOT_FOUND)\n`);
    }
    const stop = await runCli(['workload', 'stop', unknown], env);
    expect(stop.code).toBe(2);
    expect(stop.stderr).toBe(`error: Workload ${unknown} does not exist (NOT_FOUND)\n`);

    const bad = await runCli(['workload', 'inspect', 'nope'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(
      /^error: id "nope" is not a valid id: expected a UUID .* \(BAD_USER_INPUT\)\n$/,
    );

    const relative = await runCli(
      ['deployment', 'create', '--project', unknown, '--name', 'x', '--path', '/abs'],
      env,
    );
    expect(relative.code).toBe(2);
    expect(relative.stderr).toMatch(/\((BAD_USER_INPUT|NOT_FOUND)\)\n$/);
  });

  it('refuses bad flags and missing arguments with usage, exit 2', async () => {
    const unknownOption = await runCli(['project', 'list', '--bogus'], env);
    expect(unknownOption.code).toBe(2);
    expect(unknownOption.stderr).toContain("error: unknown option '--bogus'");

    const badStage = await runCli(['workload', 'list', '--stage', 'sleeping'], env);
    expect(badStage.code).toBe(2);
    expect(badStage.stderr).toContain("option '--stage <stage>' argument 'sleeping' is invalid");

    const badSeq = await runCli(['workload', 'logs', randomUUID(), '--after', '-3'], env);
    expect(badSeq.code).toBe(2);
    expect(badSeq.stderr).toContain('expected a whole number ≥ 0');

    const missing = await runCli(['workload', 'inspect'], env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("error: missing required argument 'id'");

    const badUrl = await runCli(['project', 'list', '--api', 'ftp://x'], env);
    expect(badUrl).toMatchObject({ code: 2, stdout: '' });
    expect(badUrl.stderr).toMatch(
      /^error: --api "ftp:\/\/x" must be an http:\/\/ or https:\/\/ URL.*\(USAGE\)\n$/,
    );
  });

  it('reports a server that is down in one line, exit 2', async () => {
    const port = await freeTcpPort();
    const result = await runCli(['project', 'list', '--api', `http://127.0.0.1:${port}/graphql`]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(
      new RegExp(
        `^error: Cannot reach http://127\\.0\\.0\\.1:${port}/graphql: .*ECONNREFUSED.*\\(NETWORK\\)`,
      ),
    );
  });

  it('sends the token from --token or AGENTFORGE_API_TOKEN, over HTTP and WebSocket', async () => {
    const SECRET = 's3cret-s3cret-s3cret-s3cret-s3cret';
    const secured = await startTestApp({ AGENTFORGE_RUNNER: 'off', AGENTFORGE_API_TOKEN: SECRET });
    try {
      const url = { AGENTFORGE_API_URL: secured.url };
      const refused = await runCli(['project', 'list'], url);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(/^error: Missing or wrong API token.* \(UNAUTHENTICATED\)\n$/);
      expect((await runCli(['project', 'list', '--token', SECRET], url)).code).toBe(0);

      const project = JSON.parse(
        (
          await runCli(['project', 'create', '--name', 't', '--root', root, '--json'], {
            ...url,
            AGENTFORGE_API_TOKEN: SECRET,
          })
        ).stdout,
      );
      const d = JSON.parse(
        (
          await runCli(
            [
              'deployment',
              'create',
              '--project',
              project.id,
              '--name',
              'a',
              '--path',
              'services/api',
              '--json',
              '--token',
              SECRET,
            ],
            url,
          )
        ).stdout,
      );
      const w = JSON.parse(
        (await runCli(['workload', 'create', '--deployment', d.id, '--json', '--token', SECRET], url)).stdout,
      );
      await runCli(['workload', 'stop', w.id, '--token', SECRET], url);
      const followed = await runCli(['workload', 'logs', w.id, '--follow', '--token', SECRET], url);
      expect(followed.code).toBe(1);
      expect(followed.stdout).toContain('[pending] Cancelled by user during pending');
      const wsRefused = await runCli(['workload', 'logs', w.id, '--follow', '--token', 'wrong'], url);
      expect(wsRefused.code).toBe(2);
      expect(wsRefused.stderr).toMatch(/\(UNAUTHENTICATED\)\n$/);
    } finally {
      await secured.close();
    }
  });

  it('has help for every command', async () => {
    const root = await runCli(['--help']);
    expect(root.code).toBe(0);
    expect(root.stdout).toMatch(/^Usage: agentforge \[options\] \[command\]/);
    const leaf = await runCli(['workload', 'logs', '--help']);
    expect(leaf.code).toBe(0);
    expect(leaf.stdout).toMatch(/^Usage: agentforge workload logs \[options\] <id>/);
    expect(leaf.stdout).toContain('--api <url>');

    // Every other command, without a process each: the same program object the bin runs.
    const visit = (command: Command, path: string[]): string[][] => [
      path,
      ...command.commands.flatMap((c) => visit(c, [...path, c.name()])),
    ];
    const all = visit(buildProgram(), []).filter((p) => p.at(-1) !== 'help');
    expect(all.map((p) => p.join(' '))).toEqual(
      expect.arrayContaining([
        'workload create',
        'deployment list',
        'deploy',
        'gateway restart',
        'project create',
      ]),
    );
    for (const path of all) {
      let command = buildProgram();
      for (const name of path) command = command.commands.find((c) => c.name() === name)!;
      expect(command.description(), path.join(' ')).not.toBe('');
      expect(command.helpInformation()).toContain(`Usage: agentforge${path.map((p) => ` ${p}`).join('')}`);
    }
  });
});
