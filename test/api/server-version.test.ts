import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../core/db/database.ts';
import { migrate, openOrm } from '../../core/db/orm.ts';
import {
  checkServerVersion,
  MIN_SERVER_VERSION_NUM,
  UnsupportedServerError,
  versionName,
} from '../../core/db/server-version.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';

let db: TestDatabase;
let actual: number;
beforeAll(async () => {
  db = await createTestDatabase();
  actual = Number((await db.pool.query('show server_version_num')).rows[0].server_version_num);
});
afterAll(() => db?.drop());

/** A minimum just above the real server's version: the server is "too old" for it. */
const aboveActual = () => (Math.floor(actual / 10000) + 1) * 10000;

describe('the PostgreSQL version check', () => {
  it('passes on this server, which is one the project supports', async () => {
    expect(actual).toBeGreaterThanOrEqual(MIN_SERVER_VERSION_NUM);
    await expect(checkServerVersion(db.pool)).resolves.toBe(actual);
  });

  it('refuses an older server than the minimum with one message naming both versions', async () => {
    const error = await checkServerVersion(db.pool, aboveActual()).catch((e) => e);
    expect(error).toBeInstanceOf(UnsupportedServerError);
    expect(error.message).toBe(
      `PostgreSQL ${versionName(actual)} is not supported: AgentForge needs PostgreSQL ${Math.floor(actual / 10000) + 1} or newer. Upgrade the server, or leave DATABASE_URL unset to use the embedded PostgreSQL.`,
    );
  });

  it('is made by the API and the runner before anything else (openDatabase, migrate)', async () => {
    await expect(
      openDatabase(db.url, { migrate: false, minimumServerVersion: aboveActual() }),
    ).rejects.toThrow(UnsupportedServerError);
    const orm = await openOrm(db.url);
    try {
      await expect(migrate(orm, { minimumServerVersion: aboveActual() })).rejects.toThrow(
        UnsupportedServerError,
      );
      await expect(migrate(orm)).resolves.toEqual([]);
    } finally {
      await orm.close(true);
    }
  });

  it('names versions the way PostgreSQL does', () => {
    expect(versionName(150004)).toBe('15.4');
    expect(versionName(180000)).toBe('18');
    expect(versionName(140011)).toBe('14.11');
    expect(versionName(90624)).toBe('9.6.24');
  });
});
