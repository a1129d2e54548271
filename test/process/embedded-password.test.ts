import { statSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, expect, it } from 'vitest';
import { type EmbeddedServer, PASSWORD_FILE, startEmbeddedPostgres } from '../../core/db/embedded.ts';

/** The embedded PostgreSQL's superuser has a random password, kept in the data directory (0600). */
const dataDir = await mkdtemp(join(tmpdir(), 'agentforge-pgpass-'));
let server: EmbeddedServer | undefined;

afterAll(async () => {
  await server?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

it('gets a random password kept with mode 0600, and the well-known one is refused', async () => {
  server = await startEmbeddedPostgres(dataDir);
  const file = join(dataDir, PASSWORD_FILE);
  expect(statSync(file).mode & 0o777).toBe(0o600);
  const password = (await readFile(file, 'utf8')).trim();
  expect(password).toMatch(/^[0-9a-f]{48}$/);
  const url = new URL(server.url);
  expect(decodeURIComponent(url.password)).toBe(password);

  const ok = new pg.Client({ connectionString: server.url });
  await ok.connect();
  await ok.end();
  url.password = 'postgres';
  const wrong = new pg.Client({ connectionString: url.toString() });
  await expect(wrong.connect()).rejects.toThrow(/password authentication failed/);
  await wrong.end().catch(() => {});

  // The next start of the same directory uses the same password.
  await server.stop();
  server = await startEmbeddedPostgres(dataDir);
  expect(decodeURIComponent(new URL(server.url).password)).toBe(password);
});
