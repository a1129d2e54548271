import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROGRESS_STAGES as CLI_PROGRESS_STAGES } from '../../cli/output/stage-tracker.ts';
import { claimWorkloads } from '../../core/sql/claim.ts';
import type { Queryable } from '../../core/sql/queryable.ts';
import { heartbeat, orphanedWorkloads, stopRequestedIds } from '../../core/sql/runners.ts';
import { requestStop } from '../../core/sql/transition.ts';
import {
  CLAIMED_STAGE,
  canTransition,
  INITIAL_STAGE,
  LIVE_STAGES,
  PROGRESS_STAGES,
  RUNNING_STAGE,
  sqlStageList,
  TERMINAL_STAGES,
} from '../../core/stages.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';

/** A Queryable that records the SQL it is given and answers no rows. */
function recorder(): Queryable & { sql: string[] } {
  const sql: string[] = [];
  return {
    sql,
    query: (async (text: string) => {
      sql.push(text);
      return { rows: [], rowCount: 0 };
    }) as never,
  };
}

/** Every `in (…)` / `not in (…)` list of quoted stage names in a statement. */
function stageLists(text: string): { negated: boolean; stages: string[] }[] {
  return [...text.matchAll(/(not\s+)?in\s*\(((?:\s*'[a-z]+'\s*,?)+)\)/g)].map((m) => ({
    negated: Boolean(m[1]),
    stages: [...(m[2] as string).matchAll(/'([a-z]+)'/g)].map((s) => s[1] as string),
  }));
}

describe('the stage lists are derived from the one table', () => {
  it('names the stages the table implies', () => {
    expect(INITIAL_STAGE).toBe('pending');
    expect(CLAIMED_STAGE).toBe('validate');
    expect(canTransition(INITIAL_STAGE, CLAIMED_STAGE)).toBe(true);
    expect(TERMINAL_STAGES).toEqual(['stopped', 'failed']);
    expect(LIVE_STAGES).toEqual(['validate', 'build', 'deploy', 'running']);
    expect(RUNNING_STAGE).toBe('running');
    expect(PROGRESS_STAGES).toEqual(['validate', 'build', 'deploy']);
    expect(CLI_PROGRESS_STAGES).toEqual([INITIAL_STAGE, ...PROGRESS_STAGES]);
  });

  it('writes the same lists into the SQL it sends', async () => {
    const db = recorder();
    await heartbeat(db, '00000000-0000-0000-0000-000000000000');
    await stopRequestedIds(db, '00000000-0000-0000-0000-000000000000');
    await requestStop(db, '00000000-0000-0000-0000-000000000000');
    await orphanedWorkloads(db, null);
    await claimWorkloads(db, '00000000-0000-0000-0000-000000000000', 1);
    const [beat, stops, stop, orphans, claim] = db.sql as [string, string, string, string, string];
    for (const text of [beat, stops, stop]) {
      expect(stageLists(text)).toEqual([{ negated: true, stages: [...TERMINAL_STAGES] }]);
    }
    expect(stageLists(orphans)).toEqual([{ negated: false, stages: [...LIVE_STAGES] }]);
    expect(claim).toContain(`set "stage" = '${CLAIMED_STAGE}'`);
    // Picks in the initial stage, moves to the claimed one, re-checks the initial one, and the
    // stage ledger closes the initial stage's visit.
    expect(claim.match(/"stage" = '([a-z]+)'/g)).toEqual([
      `"stage" = '${INITIAL_STAGE}'`,
      `"stage" = '${CLAIMED_STAGE}'`,
      `"stage" = '${INITIAL_STAGE}'`,
      `"stage" = '${INITIAL_STAGE}'`,
    ]);
    expect(sqlStageList(['stopped', 'failed'])).toBe(`('stopped', 'failed')`);
  });
});

describe('the migrated schema agrees with the table', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db?.drop());

  it('has the terminal list in the live-port index and the finished_at check, the initial stage in the claim index', async () => {
    const indexes = await db.pool.query(
      `select indexname, indexdef from pg_indexes where tablename = 'workload'
          and indexname in ('workload_live_port_unique', 'workload_pending_idx') order by indexname`,
    );
    const [livePort, pending] = indexes.rows.map((r) => r.indexdef as string) as [string, string];
    const quoted = (stages: readonly string[]) => stages.map((s) => `'${s}'::text`);
    expect(livePort).toContain(`ARRAY[${quoted(TERMINAL_STAGES).join(', ')}]`);
    expect(pending).toContain(`stage = '${INITIAL_STAGE}'::text`);
    const check = await db.pool.query(
      `select pg_get_constraintdef(oid) as def from pg_constraint where conname = 'workload_terminal_finished_check'`,
    );
    expect(check.rows[0]?.def).toContain(`ARRAY[${quoted(TERMINAL_STAGES).join(', ')}]`);
  });
});
