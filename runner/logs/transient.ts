import pg from 'pg';

/**
 * Whether a failed log batch may succeed if sent again. Classified by
 * SQLSTATE (or by the error's type for connection failures), never by text:
 *
 * - class 08 (connection exception), 40 (rollback: serialization, deadlock),
 *   53 (insufficient resources), 57P01-57P03 (server shutting down or
 *   starting), 58 (system error): the server is there again soon;
 * - a Node system error (ECONNRESET, ECONNREFUSED, EPIPE…) or the plain
 *   `Error` pg raises when a connection ends mid-query: the network;
 * - any other DatabaseError (a constraint, a missing workload) and any other
 *   error type (a bug) fails the same way every time.
 */
const TRANSIENT_CLASSES = ['08', '40', '53', '58'];
const TRANSIENT_CODES = ['57P01', '57P02', '57P03'];

export function isTransientDatabaseError(error: unknown): boolean {
  if (error instanceof pg.DatabaseError) {
    const code = error.code ?? '';
    return TRANSIENT_CLASSES.includes(code.slice(0, 2)) || TRANSIENT_CODES.includes(code);
  }
  if (!(error instanceof Error)) return false;
  const code = (error as NodeJS.ErrnoException).code;
  if (typeof code === 'string') return /^E[A-Z]+$/.test(code);
  return error.constructor === Error;
}
