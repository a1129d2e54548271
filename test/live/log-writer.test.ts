import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLogWriter, LogWriteError } from '../../runner/logs/log-writer.ts';
import { readLogs } from '../../src/sql/read-logs.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { gaps, killPrinters, runningWorkload, spawnPrinter } from './helpers.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterEach(() => killPrinters());
afterAll(() => db?.drop());

const allLogs = (id: string) => readLogs(db.pool, id, { after: 0, limit: 1_000_000 });

describe('log writer', () => {
  it('stores 20,000 printed lines once each, in order, with seq 1…20000, through a small high-water mark', async () => {
    const id = await runningWorkload(db.pool);
    let batches = 0;
    db.pool.on('acquire', () => batches++);
    const sink = createLogWriter(db.pool, id, { highWaterEntries: 300 });
    const printer = spawnPrinter({ LOG_LINES: '20000' });
    await sink.pipe(printer.stdout!, 'running', 'info');
    await sink.close();
    const rows = await allLogs(id);
    expect(rows).toHaveLength(20_000);
    expect(gaps(rows.map((r) => r.seq))).toEqual([]);
    expect(rows.every((r, i) => r.message === `line ${i + 1}` && r.level === 'info')).toBe(true);
    // Batched: far fewer statements than lines.
    expect(batches).toBeLessThan(2_000);
  });

  it('drops what write() cannot queue and says how many in one warn entry', async () => {
    const id = await runningWorkload(db.pool);
    const sink = createLogWriter(db.pool, id, { maxEntries: 10 });
    for (let i = 1; i <= 1000; i++) sink.write('running', 'info', `w ${i}`);
    await sink.close();
    const rows = await allLogs(id);
    expect(rows.map((r) => r.message)).toEqual([
      ...Array.from({ length: 10 }, (_, i) => `w ${i + 1}`),
      '990 log lines were dropped: the output came faster than the log could be stored',
    ]);
    expect(rows.at(-1)?.level).toBe('warn');
  });

  it('loses and duplicates nothing when its database connections are killed mid-stream', async () => {
    const id = await runningWorkload(db.pool);
    const sink = createLogWriter(db.pool, id);
    const printer = spawnPrinter({ LOG_LINES: '3000', LOG_RATE: '3000' });
    const piping = sink.pipe(printer.stdout!, 'running', 'info');
    const killer = await db.pool.connect();
    let killed = 0;
    try {
      for (let round = 0; round < 5; round++) {
        await new Promise((r) => setTimeout(r, 80));
        const result = await killer.query(
          `select pg_terminate_backend(pid) from pg_stat_activity
            where datname = current_database() and pid <> pg_backend_pid() and application_name = 'agentforge'`,
        );
        killed += result.rowCount ?? 0;
      }
    } finally {
      killer.release();
    }
    await piping;
    await sink.close();
    expect(killed).toBeGreaterThan(0);
    const rows = await allLogs(id);
    expect(rows.map((r) => r.message)).toEqual(
      Array.from({ length: 3000 }, (_, i) => expect.stringMatching(new RegExp(`^line ${i + 1} `))),
    );
    expect(gaps(rows.map((r) => r.seq))).toEqual([]);
  });

  it('surfaces a persistent error: flush rejects with the number of entries it could not store', async () => {
    const id = await runningWorkload(db.pool);
    const sink = createLogWriter(db.pool, id);
    sink.write('running', 'info', 'before');
    await sink.flush();
    await db.pool.query('delete from workload where id = $1', [id]);
    sink.write('running', 'info', 'after');
    const error = await sink.flush().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LogWriteError);
    expect((error as LogWriteError).lostEntries).toBe(1);
  });
});
