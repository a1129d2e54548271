import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';

/**
 * A connection the server ends (pg_terminate_backend, a restart) while its
 * client is checked out and nobody listens to the client: pg reports it as
 * an 'error' event, which would be an uncaught exception, and the whole API
 * or runner would exit. Checked in a process of its own, by its exit code.
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const HOLDER = fileURLToPath(new URL('./pool-holder.ts', import.meta.url));

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db?.drop());

describe('a pool connection terminated while checked out', () => {
  it('does not end the process: the dead client refuses, the pool answers with a new connection', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', HOLDER, db.url], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();

    const pid = Number((await lines.next()).value);
    expect(pid).toBeGreaterThan(0);
    const { rows } = await db.pool.query('select pg_terminate_backend($1) as done', [pid]);
    expect(rows[0].done).toBe(true);

    const code = await exited;
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const report = JSON.parse(String((await lines.next()).value));
    expect(report).toEqual({ dead: expect.stringMatching(/^rejected: /), fresh: 2 });
  });
});
