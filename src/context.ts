import type { EntityManager } from '@mikro-orm/postgresql';
import type { Config } from '../core/config.ts';
import type { Database } from '../core/db/database.ts';
import type { LiveHub } from './live/hub.ts';
import type { LogBudget } from './log-budget.ts';

/** What every resolver gets: one forked EntityManager per request or operation. */
export interface Context {
  config: Config;
  db: Database;
  em: EntityManager;
  live: LiveHub;
  /** Log entries this response may still carry. */
  logBudget: LogBudget;
}
