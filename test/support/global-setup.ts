import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { type EmbeddedServer, startEmbeddedPostgres } from '../../src/db/embedded.ts';
import { migrate, openOrm } from '../../src/db/orm.ts';
import { withDatabase } from './url.ts';

/**
 * Once per `npm test`: a PostgreSQL server (DATABASE_URL when set, else an
 * embedded one in a temporary folder) and a migrated template database.
 * Each test file clones the template into its own database (test/support/db.ts).
 */
declare module 'vitest' {
  export interface ProvidedContext {
    adminUrl: string;
    templateDatabase: string;
  }
}

export default async function setup(project: TestProject) {
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
