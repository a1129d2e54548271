import { loadConfig } from './config.ts';
import { connect } from './db/database.ts';
import { createNotifyHub } from './live/notify-hub.ts';
import { buildApp } from './server.ts';

/** `npm start`: the API and, unless AGENTFORGE_RUNNER=off, one runner in the same process. */
async function main() {
  const config = loadConfig();
  const log = (line: string) => console.log(line);
  if (!config.databaseUrl) log(`No DATABASE_URL: starting the embedded PostgreSQL in ${config.dataDir}/`);
  const db = await connect(config.databaseUrl, config.dataDir, () => {});
  const live = createNotifyHub(db, { onError: (error) => log(`live: ${(error as Error).message}`) });
  const app = buildApp({ config, db, live, log });
  const { url } = await app.start();
  log(`AgentForge API ready: GraphiQL at ${url}`);

  let shuttingDown = false;
  const shutdown = async (signal: string) => {
    if (shuttingDown) {
      log(`${signal} again: exiting now`);
      process.exit(130);
    }
    shuttingDown = true;
    log(`${signal}: shutting down (send it again to exit at once)`);
    await app.stop();
    await live.close();
    await db.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
