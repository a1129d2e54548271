import type pg from 'pg';

/** A pool or a checked-out client: the SQL modules run on either. */
export type Queryable = Pick<pg.Pool | pg.PoolClient, 'query'>;

/** SQLSTATE codes we act on (classify by code, never by message text). */
export const SQLSTATE = {
  uniqueViolation: '23505',
  foreignKeyViolation: '23503',
  checkViolation: '23514',
  invalidTextRepresentation: '22P02',
  adminShutdown: '57P01',
  insufficientPrivilege: '42501',
} as const;

export function sqlState(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string'
    ? error.code
    : undefined;
}
