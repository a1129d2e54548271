import { loadConfig } from '../core/config.ts';
import { migrate, openOrm } from '../core/db/orm.ts';
import { createLogger, lineWriter } from '../core/logger.ts';
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
  // One logger for the process: JSON lines, or readable ones on a terminal.
  const logger = createLogger();
  const log = lineWriter(logger);
  const runner = new Runner({
    config,
    databaseUrl: config.databaseUrl,
    baseEnv: baseServiceEnv(process.env),
    logger,
  });
  await runner.start();
  onShutdownSignals(log, () => runner.stop());
}

main().catch((error) => {
  createLogger().fatal({ err: error }, error instanceof Error ? error.message : String(error));
  process.exit(1);
});
