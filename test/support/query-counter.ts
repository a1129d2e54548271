import type { Database } from '../../core/db/database.ts';

export interface QueryCounter {
  /** Statements sent since the last reset, as text (pool and ORM together). */
  readonly statements: string[];
  reset(): void;
  detach(): void;
}

/**
 * Counts the statements a database handle sends to PostgreSQL: every
 * `pool.query` of the hand-written SQL (the pool's own method, wrapped on
 * this instance) and every query of the ORM (knex's public `query` event).
 * Together that is everything the API runs while it answers a request.
 */
export function countQueries(db: Database): QueryCounter {
  const statements: string[] = [];
  const pool = db.pool;
  const original = pool.query;
  pool.query = function (this: typeof pool, ...args: unknown[]) {
    const [first] = args;
    statements.push(typeof first === 'string' ? first : String((first as { text?: string })?.text));
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof pool.query;
  const knex = db.orm.em.getConnection().getKnex();
  const onQuery = (data: { sql: string }) => statements.push(data.sql);
  knex.on('query', onQuery);
  return {
    statements,
    reset: () => {
      statements.length = 0;
    },
    detach: () => {
      pool.query = original;
      knex.off('query', onQuery);
    },
  };
}
