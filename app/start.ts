import { apiTokenPath, resolveApiToken } from '../core/api-token.ts';
import { loadConfig } from '../core/config.ts';
import { connect } from '../core/db/database.ts';
import { createLogger, lineWriter } from '../core/logger.ts';
import { onShutdownSignals } from '../core/shutdown.ts';
import { createNotifyHub } from '../src/live/notify-hub.ts';
import { buildApp } from '../src/server.ts';
import { type RunnerThread, startRunnerThread } from './runner-thread.ts';

/**
 * `npm start`: the API and, unless AGENTFORGE_RUNNER=off, one runner in the
 * same process, on a thread of its own (see runner-thread.ts).
 */
async function main() {
  const config = loadConfig();
  // One logger for the process: JSON lines, or readable ones on a terminal.
  const logger = createLogger();
  const log = lineWriter(logger);
  const { token: apiToken, source } = await resolveApiToken(config.apiToken, config.dataDir);
  if (!config.databaseUrl) log(`No DATABASE_URL: starting the embedded PostgreSQL in ${config.dataDir}/`);
  const db = await connect(config.databaseUrl, config.dataDir, () => {});
  const live = createNotifyHub(db, {
    onError: (error) => logger.error({ err: error }, `live: ${(error as Error).message}`),
  });
  const app = buildApp({ config, apiToken, db, live, logger });
  let runner: RunnerThread | undefined;
  try {
    // The runner (its own pool and LISTEN connection on the same database) starts on its thread while
    // the API starts listening; "ready" is printed once both are up.
    if (config.runnerEnabled) runner = startRunnerThread(db.url, log);
    const { url, signInUrl } = await app.start();
    await runner?.started;
    log(`AgentForge API ready: GraphiQL at ${url}`);
    if (source === 'env')
      log('Clients authenticate with AGENTFORGE_API_TOKEN (browsers: open /?token=<it> once)');
    else {
      log(
        `API token in ${apiTokenPath(config.dataDir)} (${source === 'generated' ? 'new' : 'kept'}; the CLI reads it there)`,
      );
      log(`Sign in from a browser: ${signInUrl}`);
    }
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
