import type pg from 'pg';

/**
 * A pool whose every property and method is read from `current()` at the
 * time of use. Jobs and their log writers hold this one, so a runner restart
 * can replace the real pool (new connections) under them while they run.
 */
export function swappablePool(current: () => pg.Pool): pg.Pool {
  return new Proxy({} as pg.Pool, {
    get(_target, property) {
      const pool = current();
      const value = Reflect.get(pool, property, pool);
      return typeof value === 'function' ? value.bind(pool) : value;
    },
  });
}
