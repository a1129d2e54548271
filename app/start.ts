import { loadConfig } from '../core/config.ts';
import { connect } from '../core/db/database.ts';
import { createLogger, lineWriter } from '../core/logger.ts';
import { onShutdownSignals } from '../core/shutdown.ts';
import { Runner } from '../runner/runner.ts';
import { baseServiceEnv } from '../runner/service-env.ts';
import { createNotifyHub } from '../src/live/notify-hub.ts';
import { buildApp } from '../src/server.ts';

/** `npm start`: the API and, unless AGENTFORGE_RUNNER=off, one runner in the same process. */
async function main() {
  const config = loadConfig();
  // One logger for the process: JSON lines, or readable ones on a terminal.
  const logger = createLogger();
  const log = lineWriter(logger);
  if (!config.databaseUrl) log(`No DATABASE_URL: starting the embedded PostgreSQL in ${config.dataDir}/`);
  const db = await connect(config.databaseUrl, config.dataDir, () => {});
  const live = createNotifyHub(db, {
    onError: (error) => logger.error({ err: error }, `live: ${(error as Error).message}`),
  });
  const app = buildApp({ config, db, live, logger });
  // The runner has its own pool and LISTEN connection on the same database.
  const runner = config.runnerEnabled
    ? new Runner({ config, databaseUrl: db.url, baseEnv: baseServiceEnv(process.env), logger })
    : undefined;
  try {
    const { url } = await app.start();
    log(`AgentForge API ready: GraphiQL at ${url}`);
    await runner?.start();
  } catch (error) {
    // Nothing may outlive a failed start (an embedded PostgreSQL above all).
    await Promise.allSettled([runner?.stop(), app.stop(), live.close()]);
    await db.close();
    throw error;
  }
  if (!runner) log('AGENTFORGE_RUNNER=off: no runner in this process');

  onShutdownSignals(
    log,
    async () => {
      // The runner first: it records every workload it cancels or stops while the database is up.
      await runner?.stop();
      await app.stop();
      await live.close();
      await db.close();
    },
    () => db.killNow?.(),
  );
}

main().catch((error) => {
  createLogger().fatal({ err: error }, error instanceof Error ? error.message : String(error));
  process.exit(1);
});
