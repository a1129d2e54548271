import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * `npm start` with no DATABASE_URL: the embedded PostgreSQL starts with its
 * data in the data folder, is reused on the next start, and stops cleanly on
 * SIGTERM / SIGINT.
 */
const dataDir = await mkdtemp(join(tmpdir(), 'agentforge-start-'));
const children: ChildProcess[] = [];

afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await rm(dataDir, { recursive: true, force: true });
});

async function start(): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    AGENTFORGE_DATA_DIR: dataDir,
    PORT: '0',
    AGENTFORGE_RUNNER: 'off',
  };
  delete env.DATABASE_URL;
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ready line in: ${output}`)), 45_000);
    child.stdout!.on('data', () => {
      const match = /GraphiQL at (http:\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.once('exit', () => reject(new Error(`exited early: ${output}`)));
  });
  return { child, url, output: () => output };
}

async function query(url: string, body: string) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
  return response.json() as Promise<any>;
}

describe('npm start', () => {
  it('runs on an embedded PostgreSQL, keeps its data, and stops cleanly on SIGTERM and SIGINT', async () => {
    const first = await start();
    expect(first.output()).toMatch(/embedded PostgreSQL/);
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

    const second = await start();
    const listed = await query(second.url, JSON.stringify({ query: '{ projects { id name } }' }));
    expect(listed.data.projects).toEqual([{ id: created.data.createProject.id, name: 'kept' }]);
    second.child.kill('SIGINT');
    const [code2] = await once(second.child, 'exit');
    expect(code2).toBe(0);
    expect(existsSync(join(dataDir, 'pg', 'postmaster.pid'))).toBe(false);
  });
});
