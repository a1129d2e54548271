import { loadConfig } from '../core/config.ts';
import { migrate, openOrm } from '../core/db/orm.ts';
import { onShutdownSignals } from '../core/shutdown.ts';
import { Runner } from './runner.ts';
import { baseServiceEnv } from './service-env.ts';

/** `npm run runner`: one runner on its own, against the database of DATABASE_URL. */
async function main() {
  const config = loadConfig();
  if (!config.databaseUrl) {
    throw new Error(
      'npm run runner needs DATABASE_URL: the embedded PostgreSQL belongs to the `npm start` process that started it',
    );
  }
  const orm = await openOrm(config.databaseUrl);
  try {
    await migrate(orm);
  } finally {
    await orm.close(true);
  }
  const log = (line: string) => console.log(line);
  const runner = new Runner({
    config,
    databaseUrl: config.databaseUrl,
    baseEnv: baseServiceEnv(process.env),
    log,
  });
  await runner.start();
  onShutdownSignals(log, () => runner.stop());
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
