import type { MikroORM } from '@mikro-orm/core';
import type { PostgreSqlDriver } from '@mikro-orm/postgresql';
import pg from 'pg';
import { startEmbeddedPostgres } from './embedded.ts';
import { migrate, openOrm } from './orm.ts';
import { openPool } from './pool.ts';
import { checkServerVersion, MIN_SERVER_VERSION_NUM } from './server-version.ts';

/**
 * Everything that talks to PostgreSQL: the ORM (one forked EntityManager per
 * request or job) and a plain `pg` pool for the hand-written hot paths in
 * `core/sql/` (claim, stage change, log batches), which need `$n` parameters,
 * arrays and no unit-of-work overhead.
 */
export interface Database {
  url: string;
  orm: MikroORM<PostgreSqlDriver>;
  pool: pg.Pool;
  /** With an embedded server: stops it without waiting, for an immediate exit. */
  killNow?(): void;
  close(): Promise<void>;
}

// int8 (count(*), sums) as JS numbers: our counts stay far below 2^53.
pg.types.setTypeParser(20, (v) => Number.parseInt(v, 10));

/**
 * Opens the pool and the ORM on `url`, after checking the server's version
 * once (an unsupported one is refused with UnsupportedServerError, whose
 * message names the version found and the versions supported).
 */
export async function openDatabase(
  url: string,
  options: { migrate?: boolean; minimumServerVersion?: number } = {},
): Promise<Database> {
  // A client that dies (server restart, pg_terminate_backend) is replaced on the next checkout.
  const pool = openPool({ connectionString: url, max: 10, applicationName: 'agentforge' });
  let orm: MikroORM<PostgreSqlDriver>;
  try {
    await checkServerVersion(pool, options.minimumServerVersion ?? MIN_SERVER_VERSION_NUM);
    orm = await openOrm(url);
  } catch (error) {
    await pool.end();
    throw error;
  }
  if (options.migrate !== false) {
    try {
      await migrate(orm, { minimumServerVersion: false });
    } catch (error) {
      await Promise.all([pool.end(), orm.close(true)]);
      throw error;
    }
  }
  let closed: Promise<void> | undefined;
  return {
    url,
    orm,
    pool,
    close: () => {
      closed ??= Promise.all([pool.end(), orm.close(true)]).then(() => undefined);
      return closed;
    },
  };
}

/**
 * DATABASE_URL when given; otherwise the embedded PostgreSQL in `dataDir`.
 * `close()` also stops the embedded server.
 */
export async function connect(
  databaseUrl: string | undefined,
  dataDir: string,
  log: (line: string) => void,
): Promise<Database> {
  if (databaseUrl) return openDatabase(databaseUrl);
  const embedded = await startEmbeddedPostgres(dataDir, log);
  try {
    const db = await openDatabase(embedded.url);
    const close = db.close;
    return {
      ...db,
      close: async () => {
        await close();
        await embedded.stop();
      },
      killNow: () => embedded.killNow(),
    };
  } catch (error) {
    await embedded.stop();
    throw error;
  }
}
