import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { copyLogBatch } from '../../core/sql/copy-logs.ts';
import type { Queryable } from '../../core/sql/queryable.ts';
import { readLogs } from '../../core/sql/read-logs.ts';
import { LogRetention } from '../../runner/log-retention.ts';
import { createLogWriter } from '../../runner/logs/log-writer.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { killPrinters, moveThrough, runningWorkload, spawnPrinter } from './helpers.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterEach(() => killPrinters());
afterAll(() => db?.drop());

const allLogs = (id: string) => readLogs(db.pool, id, { after: 0, limit: 1_000_000 });
const rowsOf = (n: number) =>
  Array.from({ length: n }, (_, i) => ({
    ts: Date.now(),
    stage: 'running' as const,
    level: 'info' as const,
    message: `line ${i + 1}`,
  }));
const logCount = async (id: string) =>
  (await db.pool.query('select count(*)::int as n from workload_log where workload_id = $1', [id])).rows[0]
    .n as number;

describe('log quota (AGENTFORGE_LOG_MAX_BYTES)', () => {
  it('stores output up to the limit, then one warn entry; later lines are counted, not stored', async () => {
    const id = await runningWorkload(db.pool);
    const sink = createLogWriter(db.pool, id, { maxBytes: 4096 });
    await sink.pipe(spawnPrinter({ LOG_LINES: '5000' }).stdout!, 'running', 'info');
    // The runner's own entries are not output: they are still stored.
    sink.write('running', 'error', 'Service crashed with exit code 1');
    await sink.close();
    const rows = await allLogs(id);
    const lines = rows.filter((r) => r.message.startsWith('line '));
    expect(lines.map((r) => r.message)).toEqual(lines.map((_, i) => `line ${i + 1}`));
    const outputBytes = lines.reduce((sum, r) => sum + Buffer.byteLength(r.message), 0);
    expect(outputBytes).toBeLessThanOrEqual(4096);
    expect(outputBytes + Buffer.byteLength(`line ${lines.length + 1}`)).toBeGreaterThan(4096);
    expect(rows.slice(lines.length).map((r) => [r.level, r.message])).toEqual([
      [
        'warn',
        'Log limit reached: 4096 bytes stored for this workload (AGENTFORGE_LOG_MAX_BYTES); later output is counted, not stored',
      ],
      ['error', 'Service crashed with exit code 1'],
      [
        'info',
        expect.stringMatching(
          new RegExp(
            `^${5000 - lines.length} lines \\(\\d+ bytes\\) of output were not stored: over the log limit of 4096 bytes$`,
          ),
        ),
      ],
    ]);
  });
});

describe('log retention (AGENTFORGE_LOG_RETENTION_DAYS)', () => {
  it('deletes the logs of workloads ended before the cutoff in bounded batches, and keeps the rest', async () => {
    const ended = async (daysAgo: number, rows: number) => {
      const id = await runningWorkload(db.pool);
      await copyLogBatch(db.pool, id, rowsOf(rows), 0);
      await moveThrough(db.pool, id, ['running', 'stopped']);
      await db.pool.query(
        `update workload set finished_at = now() - make_interval(days => $2) where id = $1`,
        [id, daysAgo],
      );
      return id;
    };
    const old = [await ended(40, 12_000), await ended(31, 300)];
    const recent = await ended(29, 200);
    const live = await runningWorkload(db.pool);
    await copyLogBatch(db.pool, live, rowsOf(150), 0);

    const deletes: number[] = [];
    // The pool as the retention sees it, counting the rows of each delete statement.
    const counting = {
      query: async (text: string, values: unknown[]) => {
        const result = await db.pool.query(text, values);
        if (text.trimStart().startsWith('delete')) deletes.push(result.rowCount ?? 0);
        return result;
      },
    } as unknown as Queryable;
    const retention = new LogRetention(counting, { days: 30, batchRows: 5_000, pageSize: 1 });
    expect(await retention.sweep()).toBe(12_300);
    expect(Math.max(...deletes)).toBeLessThanOrEqual(5_000);
    expect(deletes.filter((n) => n > 0)).toEqual([5_000, 5_000, 2_000, 300]);
    expect(await Promise.all([...old, recent, live].map(logCount))).toEqual([0, 0, 200, 150]);
    // The workloads themselves stay, with their history.
    const { rows } = await db.pool.query(
      'select count(*)::int as n from workload where id = any($1::uuid[])',
      [old],
    );
    expect(rows[0].n).toBe(2);
    // A later sweep starts where this one stopped: nothing is visited twice.
    deletes.length = 0;
    expect(await retention.sweep()).toBe(0);
    expect(deletes).toEqual([]);
  });
});
