import { loadConfig } from '../core/config.ts';
import { connect } from '../core/db/database.ts';
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
  const log = (line: string) => console.log(line);
  if (!config.databaseUrl) log(`No DATABASE_URL: starting the embedded PostgreSQL in ${config.dataDir}/`);
  const db = await connect(config.databaseUrl, config.dataDir, () => {});
  const live = createNotifyHub(db, { onError: (error) => log(`live: ${(error as Error).message}`) });
  const app = buildApp({ config, db, live, log });
  let runner: RunnerThread | undefined;
  try {
    const { url } = await app.start();
    log(`AgentForge API ready: GraphiQL at ${url}`);
    // The runner has its own pool and LISTEN connection on the same database.
    if (config.runnerEnabled) {
      runner = startRunnerThread(db.url, log);
      await runner.started;
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
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
