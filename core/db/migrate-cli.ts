import { loadConfig } from '../config.ts';
import { startEmbeddedPostgres } from './embedded.ts';
import { migrate, openOrm } from './orm.ts';

/**
 * `npm run migrate` applies pending migrations;
 * `npm run migration:create` writes a new one from the entity metadata.
 */
async function main() {
  const config = loadConfig();
  const embedded = config.databaseUrl ? undefined : await startEmbeddedPostgres(config.dataDir);
  const orm = await openOrm(config.databaseUrl ?? embedded!.url);
  try {
    if (process.argv[2] === 'create') {
      const result = await orm
        .getMigrator()
        .createMigration(undefined, false, process.argv[3] === '--initial');
      console.log(result.fileName ? `Created migrations/${result.fileName}` : 'No schema changes to migrate');
    } else {
      const applied = await migrate(orm);
      console.log(applied.length ? `Applied: ${applied.join(', ')}` : 'Database is up to date');
    }
  } finally {
    await orm.close(true);
    await embedded?.stop();
  }
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
