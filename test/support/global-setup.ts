import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { type EmbeddedServer, startEmbeddedPostgres } from '../../core/db/embedded.ts';
import { migrate, openOrm } from '../../core/db/orm.ts';
import { withDatabase } from './url.ts';

/**
 * Once per `npm test`: the compiled dist/ brought up to date (the suites that
 * run `npm start`, `npm run runner` or the CLI as users do run it, and a
 * rebuild inside one of them would eat its time), a PostgreSQL server (DATABASE_URL when set, else an
 * embedded one in a temporary folder) and a migrated template database.
 * Each test file clones the template into its own database (test/support/db.ts).
 */
declare module 'vitest' {
  export interface ProvidedContext {
    adminUrl: string;
    templateDatabase: string;
  }
}

/** Databases left by test runs that were killed before their teardown (their pid is gone). */
async function dropDatabasesOfDeadRuns(admin: pg.Client): Promise<void> {
  const { rows } = await admin.query(
    `select datname from pg_database where datname ~ '^agentforge_(template|test)_[0-9]+'`,
  );
  for (const { datname } of rows as { datname: string }[]) {
    const pid = Number(/^agentforge_(?:template|test)_(\d+)/.exec(datname)?.[1]);
    if (pid === process.pid || isAlive(pid)) continue;
    await admin.query(`drop database if exists "${datname}" with (force)`);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function ensureCompiled(): void {
  const script = fileURLToPath(new URL('../../scripts/build.mjs', import.meta.url));
  const result = spawnSync(process.execPath, [script, '--if-stale'], { stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`Compiling dist/ failed (exit ${result.status})`);
}

export default async function setup(project: TestProject) {
  ensureCompiled();
  let embedded: EmbeddedServer | undefined;
  let dataDir: string | undefined;
  let adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) {
    dataDir = await mkdtemp(join(tmpdir(), 'agentforge-test-pg-'));
    embedded = await startEmbeddedPostgres(dataDir);
    adminUrl = embedded.url;
  }
  const template = `agentforge_template_${process.pid}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await dropDatabasesOfDeadRuns(admin);
  await admin.query(`drop database if exists "${template}"`);
  await admin.query(`create database "${template}"`);
  const orm = await openOrm(withDatabase(adminUrl, template));
  await migrate(orm);
  await orm.close(true);
  project.provide('adminUrl', adminUrl);
  project.provide('templateDatabase', template);

  return async () => {
    // Drop what the test files left behind (a crashed file cannot clean up after itself).
    const leftovers = await admin.query(
      `select datname from pg_database where datname like 'agentforge_test_${process.pid}_%' or datname = $1`,
      [template],
    );
    for (const { datname } of leftovers.rows)
      await admin.query(`drop database if exists "${datname}" with (force)`);
    await admin.end();
    await embedded?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  };
}
