import { fileURLToPath } from 'node:url';
import { MikroORM, type Options } from '@mikro-orm/core';
import { Migrator } from '@mikro-orm/migrations';
import { PostgreSqlDriver } from '@mikro-orm/postgresql';
import { entities } from './entities/index.ts';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations', import.meta.url));
/**
 * Compiled (dist/core/db/orm.js, as `npm start` runs) the migrations are the
 * `.js` files beside it in dist/migrations; under vitest and tsx they are the
 * `.ts` sources. MikroORM records a migration's name without its extension,
 * so both forms count as the same migration.
 */
const MIGRATION_GLOB = import.meta.url.endsWith('.js') ? '!(*.d).js' : '!(*.d).ts';

export function ormOptions(clientUrl: string): Options<PostgreSqlDriver> {
  return {
    driver: PostgreSqlDriver,
    clientUrl,
    entities,
    extensions: [Migrator],
    debug: false,
    allowGlobalContext: false,
    forceUtcTimezone: true,
    pool: { min: 0, max: 10 },
    discovery: { warnWhenNoEntities: true },
    // Migrations are modules of this package (compiled, or run by vitest / tsx): import them natively.
    dynamicImportProvider: (id: string) => import(id),
    migrations: {
      path: MIGRATIONS_DIR,
      pathTs: MIGRATIONS_DIR,
      glob: MIGRATION_GLOB,
      emit: 'ts',
      snapshot: false,
      silent: true,
      transactional: true,
      allOrNothing: true,
      disableForeignKeys: false,
    },
  };
}

export async function openOrm(clientUrl: string): Promise<MikroORM<PostgreSqlDriver>> {
  return MikroORM.init<PostgreSqlDriver>(ormOptions(clientUrl));
}

export async function migrate(orm: MikroORM<PostgreSqlDriver>): Promise<string[]> {
  const done = await orm.getMigrator().up();
  return done.map((m) => m.name);
}
