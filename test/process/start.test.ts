import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * `npm start` with no DATABASE_URL: the embedded PostgreSQL starts with its
 * data in the data folder, is reused on the next start, and stops cleanly on
 * SIGTERM / SIGINT. Without AGENTFORGE_API_TOKEN it makes a token on first
 * start, keeps it in the data folder (0600) and prints a sign-in URL.
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const dataDir = await mkdtemp(join(tmpdir(), 'agentforge-start-'));
const children: ChildProcess[] = [];

afterAll(async () => {
  for (const child of children) if (child.exitCode === null) process.kill(-(child.pid as number), 'SIGKILL');
  await rm(dataDir, { recursive: true, force: true });
});

/**
 * `npm start` as a user runs it, in a process group of its own like a
 * terminal's foreground job.
 */
async function start(
  runner: 'on' | 'off',
): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    AGENTFORGE_DATA_DIR: dataDir,
    PORT: '0',
    AGENTFORGE_RUNNER: runner,
  };
  delete env.DATABASE_URL;
  const child = spawn('npm', ['start'], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  children.push(child);
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const url = await new Promise<string>((resolve, reject) => {
    // npm start compiles dist/ first when a source changed since the last build.
    const timer = setTimeout(() => reject(new Error(`no ready line in: ${output}`)), 180_000);
    child.stdout!.on('data', () => {
      const match = /GraphiQL at (http:[^\s"]+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.once('exit', () => reject(new Error(`exited early: ${output}`)));
  });
  return { child, url, output: () => output };
}

/** A query with the token `npm start` keeps in the data directory, as the CLI reads it. */
async function query(url: string, body: string) {
  const token = (await readFile(join(dataDir, 'api-token'), 'utf8')).trim();
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body,
  });
  return response.json() as Promise<any>;
}

describe('npm start', { timeout: 300_000 }, () => {
  it('runs on an embedded PostgreSQL, keeps its data, and stops cleanly on SIGTERM and on Ctrl-C', async () => {
    const first = await start('off');
    expect(first.output()).toMatch(/embedded PostgreSQL/);
    // A token made on first start, kept for its owner only, and a sign-in URL that carries it.
    const token = (await readFile(join(dataDir, 'api-token'), 'utf8')).trim();
    expect(token.length).toBeGreaterThanOrEqual(32);
    expect((await stat(join(dataDir, 'api-token'))).mode & 0o777).toBe(0o600);
    const signIn = /Sign in from a browser: ([^\s"]+)/.exec(first.output())?.[1];
    expect(signIn).toBe(`${new URL(first.url).origin}/?token=${token}`);
    const anonymous = await fetch(first.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ projects { id } }' }),
    });
    expect(anonymous.status).toBe(401);
    const created = await query(
      first.url,
      JSON.stringify({
        query: `mutation { createProject(input: { name: "kept", rootPath: ${JSON.stringify(dataDir)} }) { id } }`,
      }),
    );
    expect(created.data.createProject.id).toBeTruthy();
    first.child.kill('SIGTERM');
    const [code] = await once(first.child, 'exit');
    expect(code).toBe(0);
    expect(existsSync(join(dataDir, 'pg', 'postmaster.pid'))).toBe(false);

    const second = await start('on');
    // The same token on the next start.
    expect((await readFile(join(dataDir, 'api-token'), 'utf8')).trim()).toBe(token);
    const listed = await query(second.url, JSON.stringify({ query: '{ projects { id name } }' }));
    expect(listed.data.projects).toEqual([{ id: created.data.createProject.id, name: 'kept' }]);
    // Ctrl-C: SIGINT to the whole process group. The runner still records its stop in the database,
    // so PostgreSQL must not have taken the signal too.
    await expect.poll(second.output).toMatch(/Runner \S+ started/);
    process.kill(-(second.child.pid as number), 'SIGINT');
    const [code2] = await once(second.child, 'exit');
    expect(second.output()).toMatch(/Runner \S+ stopped/);
    expect(second.output()).not.toMatch(/Shutdown failed|exiting now/);
    expect(code2).toBe(0);
    expect(existsSync(join(dataDir, 'pg', 'postmaster.pid'))).toBe(false);
  });
});
