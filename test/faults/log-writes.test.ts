import type { ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openPool } from '../../core/db/pool.ts';
import { readLogs } from '../../core/sql/read-logs.ts';
import { createLogWriter, type LogWriter } from '../../runner/logs/log-writer.ts';
import { killPrinters, runningWorkload, spawnPrinter } from '../live/helpers.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.ts';

/**
 * The log writer against a database that stops taking writes, each way it
 * can: a constraint that refuses every row, a revoked privilege, cancelled
 * statements, a network cut longer than any retry window. A service prints
 * numbered lines meanwhile; afterwards every printed line is stored, in
 * order, or stands in a `warn` entry counting it, and the writer carries on.
 */
let db: TestDatabase;
const pools: pg.Pool[] = [];
beforeAll(async () => {
  db = await createTestDatabase();
});
afterEach(async () => {
  killPrinters();
  for (const pool of pools.splice(0)) await pool.end().catch(() => {});
});
afterAll(() => db?.drop());

const LINES = 60_000;
/** Small enough that the printer must block on its pipe while nothing is stored. */
const HIGH_WATER = 5_000;
const DROPPED = /^(\d+) log lines were dropped: /;

function writerPool(url: string, name: string): pg.Pool {
  const pool = openPool({ connectionString: url, max: 4, applicationName: name });
  pools.push(pool);
  return pool;
}

/**
 * Every stored entry in order against what was printed: `line k` must be
 * the next line, a gap entry accounts for the lines it counts. Returns how
 * many printed lines are accounted for and how many of them only by a gap.
 */
async function account(id: string): Promise<{ accounted: number; dropped: number; unexpected: string[] }> {
  const rows = await readLogs(db.pool, id, { after: 0, limit: 1_000_000 });
  let next = 1;
  let dropped = 0;
  const unexpected: string[] = [];
  for (const row of rows) {
    const gap = DROPPED.exec(row.message);
    if (gap && row.level === 'warn') {
      next += Number(gap[1]);
      dropped += Number(gap[1]);
    } else if (row.message === `line ${next}`) next++;
    else unexpected.push(`seq ${row.seq}: ${row.message} (expected line ${next})`);
  }
  return { accounted: next - 1, dropped, unexpected };
}

/** Pipes a printer of LINES lines into `sink`; `exited` tells whether it has finished printing. */
function print(sink: LogWriter): { piping: Promise<void>; printer: ChildProcess; exited: () => boolean } {
  const printer = spawnPrinter({ LOG_LINES: String(LINES) });
  let done = false;
  printer.once('exit', () => {
    done = true;
  });
  return { piping: sink.pipe(printer.stdout!, 'running', 'info'), printer, exited: () => done };
}

/** Bounded wait for a condition (asserts nothing about speed). */
async function until(check: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await sleep(50);
  }
}

/**
 * The common shape: start printing, wait until the writer is stuck at its
 * bound (the fault is on), check the printer is held back and memory is
 * bounded, let the fault last `faultMs`, lift it, and check that everything
 * printed is stored and the writer still works.
 */
async function survives(
  sink: LogWriter,
  id: string,
  fault: { on(): Promise<void>; off(): Promise<void> },
  faultMs: number,
): Promise<void> {
  await fault.on();
  const { piping, exited } = print(sink);
  await until(() => sink.pendingEntries >= HIGH_WATER);
  await sleep(faultMs);
  // Nothing was stored meanwhile: the printer waits on its pipe, the writer holds about its bound.
  expect(exited()).toBe(false);
  expect(sink.pendingEntries).toBeLessThan(HIGH_WATER + 10_000);
  await fault.off();
  await piping;
  sink.write('running', 'info', 'after the fault');
  await sink.close();
  const result = await account(id);
  expect(result.unexpected).toEqual([`seq ${LINES + 1}: after the fault (expected line ${LINES + 1})`]);
  expect(result).toMatchObject({ accounted: LINES, dropped: 0 });
}

describe('the log writer when the database refuses or cannot take writes', () => {
  it('a constraint that refuses every row for 3 s: retried until it is gone, nothing lost', async () => {
    const id = await runningWorkload(db.pool);
    const sink = createLogWriter(db.pool, id, { highWaterEntries: HIGH_WATER });
    await survives(
      sink,
      id,
      {
        on: () =>
          db.pool.query('alter table workload_log add constraint refuse_all check (false) not valid').then(),
        off: () => db.pool.query('alter table workload_log drop constraint refuse_all').then(),
      },
      3_000,
    );
  });

  it('a revoked INSERT privilege of a limited role for 3 s: retried until granted again, nothing lost', async () => {
    const role = `${db.name}_logs`;
    await db.pool.query(`create role "${role}" login password 'logs-test'`);
    await db.pool.query(
      `grant select, update on workload to "${role}"; grant insert on workload_log to "${role}"`,
    );
    try {
      const url = new URL(db.url);
      url.username = role;
      url.password = 'logs-test';
      const id = await runningWorkload(db.pool);
      const sink = createLogWriter(writerPool(url.toString(), 'limited-writer'), id, {
        highWaterEntries: HIGH_WATER,
      });
      await survives(
        sink,
        id,
        {
          on: () => db.pool.query(`revoke insert on workload_log from "${role}"`).then(),
          off: () => db.pool.query(`grant insert on workload_log to "${role}"`).then(),
        },
        3_000,
      );
    } finally {
      for (const pool of pools.splice(0)) await pool.end().catch(() => {});
      await db.pool.query(`drop owned by "${role}"; drop role "${role}"`);
    }
  });

  it('statements cancelled with pg_cancel_backend, again and again: retried, nothing lost', async () => {
    const id = await runningWorkload(db.pool);
    const sink = createLogWriter(writerPool(db.url, 'cancelled-writer'), id, {
      highWaterEntries: HIGH_WATER,
    });
    // The workload's row held by another transaction keeps the writer's batch waiting, in flight, to be cancelled.
    const holder = await db.pool.connect();
    let cancelled = 0;
    try {
      await survives(
        sink,
        id,
        {
          on: async () => {
            await holder.query('begin');
            await holder.query('select 1 from workload where id = $1 for update', [id]);
          },
          off: async () => {
            for (let round = 0; round < 5; round++) {
              await until(async () => {
                const { rows } = await db.pool.query(
                  `select pg_cancel_backend(pid) as ok from pg_stat_activity
                    where application_name = 'cancelled-writer' and wait_event_type = 'Lock'`,
                );
                cancelled += rows.filter((r) => r.ok).length;
                return rows.length > 0;
              });
            }
            await holder.query('commit');
          },
        },
        1_000,
      );
    } finally {
      holder.release();
    }
    expect(cancelled).toBeGreaterThanOrEqual(5);
  });

  describe('through a network that is cut', () => {
    let proxy: TcpProxy;
    let url: string;
    beforeAll(async () => {
      const target = new URL(db.url);
      proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
      target.host = `127.0.0.1:${proxy.port}`;
      url = target.toString();
    });
    afterAll(() => proxy?.close());

    it('a cut of 35 s, longer than any retry window: the service is held back, then everything is stored', async () => {
      const id = await runningWorkload(db.pool);
      const sink = createLogWriter(writerPool(url, 'cut-writer'), id, { highWaterEntries: HIGH_WATER });
      await survives(
        sink,
        id,
        {
          on: async () => proxy.cut(),
          off: async () => proxy.restore(),
        },
        35_000,
      );
    }, 120_000);

    it('write() past its bound while cut: one warn entry per gap, stored as soon as writes are taken again', async () => {
      const id = await runningWorkload(db.pool);
      const sink = createLogWriter(writerPool(url, 'gap-writer'), id, { maxEntries: 10 });
      let printed = 0;
      const burst = (n: number) => {
        for (let i = 0; i < n; i++) sink.write('running', 'info', `line ${++printed}`);
      };
      for (const [lines, gap] of [
        [100, 90],
        [50, 40],
      ] as const) {
        proxy.cut();
        burst(lines);
        await sleep(500);
        proxy.restore();
        // Without any flush or later line: the gap entry follows the ten that were queued.
        await until(async () => (await account(id)).accounted === printed, 30_000);
        const result = await account(id);
        expect(result.unexpected).toEqual([]);
        const last = (await readLogs(db.pool, id, { after: 0, limit: 1_000 })).at(-1);
        expect(last).toMatchObject({
          level: 'warn',
          message: expect.stringMatching(`^${gap} log lines were dropped`),
        });
      }
      await sink.close();
      expect(await account(id)).toMatchObject({ accounted: 150, dropped: 130, unexpected: [] });
    }, 120_000);
  });
});
