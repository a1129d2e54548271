import type { EntityManager } from '@mikro-orm/postgresql';
import type { Config } from '../core/config.ts';
import type { Database } from '../core/db/database.ts';
import type { LiveHub } from './live/hub.ts';
import type { LogBudget } from './log-budget.ts';
import type { Loaders } from './services/loaders.ts';

/**
 * What every resolver gets: one forked EntityManager and one set of batching
 * loaders per request or operation.
 */
export interface Context {
  config: Config;
  db: Database;
  em: EntityManager;
  live: LiveHub;
  loaders: Loaders;
  /** Log entries this response may still carry. */
  logBudget: LogBudget;
}
