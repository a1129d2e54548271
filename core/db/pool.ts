import pg from 'pg';

export interface PoolOptions {
  connectionString: string;
  max: number;
  /** Shown in pg_stat_activity: which part of the system holds the connection. */
  applicationName: string;
  /**
   * Told of an idle connection that failed (server restart,
   * pg_terminate_backend); the pool has already discarded it.
   */
  onIdleError?: (error: Error) => void;
}

/**
 * A pg pool whose connections can die at any moment without taking the
 * process down.
 *
 * A pg client reports a dead connection as an 'error' event, and an 'error'
 * event nobody listens to is an uncaught exception. The pool listens while a
 * client is idle (and re-emits on itself), but not while it is checked out:
 * from the moment it hands a client over until its holder attaches a
 * listener, and for holders that never do, a FATAL from the server (it can
 * arrive in the same packet as the connection's first ReadyForQuery) would
 * be fatal to us. So every client gets a listener of its own for its whole
 * life, from when it connects, before it is handed to anyone.
 */
export function openPool(options: PoolOptions): pg.Pool {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.max,
    application_name: options.applicationName,
  });
  // Idle clients: the pool removes the client, then emits here.
  pool.on('error', options.onIdleError ?? (() => {}));
  // Checked-out clients: nothing to report here, as the holder hears of it
  // anyway: the query in flight rejects, and so does the next one.
  pool.on('connect', (client) => {
    client.on('error', () => {});
  });
  return pool;
}
