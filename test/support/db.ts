import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { type Database, openDatabase } from '../../core/db/database.ts';
import { withDatabase } from './url.ts';

async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: inject('adminUrl') });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export interface TestDatabase extends Database {
  name: string;
  /** Drops the database (after closing every connection to it). */
  drop(): Promise<void>;
}

/** A fresh, migrated database of its own, cloned from the template made in global setup. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const template = inject('templateDatabase');
  const name = `${template.replace('template', 'test')}_${randomBytes(4).toString('hex')}`;
  await admin((c) => c.query(`create database "${name}" template "${template}"`));
  const url = withDatabase(inject('adminUrl'), name);
  const db = await openDatabase(url, { migrate: false });
  return {
    ...db,
    name,
    drop: async () => {
      await db.close();
      await admin((c) => c.query(`drop database if exists "${name}" with (force)`));
    },
  };
}
