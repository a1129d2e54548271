import { apiTokenPath, resolveApiToken } from '../core/api-token.ts';
import { loadConfig } from '../core/config.ts';
import { connect } from '../core/db/database.ts';
import { onShutdownSignals } from '../core/shutdown.ts';
import { Runner } from '../runner/runner.ts';
import { baseServiceEnv } from '../runner/service-env.ts';
import { createNotifyHub } from '../src/live/notify-hub.ts';
import { buildApp } from '../src/server.ts';

/** `npm start`: the API and, unless AGENTFORGE_RUNNER=off, one runner in the same process. */
async function main() {
  const config = loadConfig();
  const log = (line: string) => console.log(line);
  const { token: apiToken, source } = await resolveApiToken(config.apiToken, config.dataDir);
  if (!config.databaseUrl) log(`No DATABASE_URL: starting the embedded PostgreSQL in ${config.dataDir}/`);
  const db = await connect(config.databaseUrl, config.dataDir, () => {});
  const live = createNotifyHub(db, { onError: (error) => log(`live: ${(error as Error).message}`) });
  const app = buildApp({ config, apiToken, db, live, log });
  // The runner has its own pool and LISTEN connection on the same database.
  const runner = config.runnerEnabled
    ? new Runner({ config, databaseUrl: db.url, baseEnv: baseServiceEnv(process.env), log })
    : undefined;
  try {
    const { url, signInUrl } = await app.start();
    log(`AgentForge API ready: GraphiQL at ${url}`);
    if (source === 'env')
      log('Clients authenticate with AGENTFORGE_API_TOKEN (browsers: open /?token=<it> once)');
    else {
      log(
        `API token in ${apiTokenPath(config.dataDir)} (${source === 'generated' ? 'new' : 'kept'}; the CLI reads it there)`,
      );
      log(`Sign in from a browser: ${signInUrl}`);
    }
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
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
