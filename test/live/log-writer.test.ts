import { Readable } from 'node:stream';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { copyLogBatch } from '../../core/sql/copy-logs.ts';
import { insertLogBatch, WORKLOAD_LOGS_CHANNEL, WorkloadGoneError } from '../../core/sql/insert-logs.ts';
import { readLogs } from '../../core/sql/read-logs.ts';
import { createLogWriter, LogWriteError } from '../../runner/logs/log-writer.ts';
import { MAX_MESSAGE_BYTES } from '../../runner/logs/utf8-lines.ts';
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

  it.each([
    ['COPY', 0],
    ['INSERT', 1_000_000],
  ])(
    'loses and duplicates nothing when its database connections are killed mid-stream (%s)',
    async (_, copyAbove) => {
      const id = await runningWorkload(db.pool);
      const sink = createLogWriter(db.pool, id, { copyAbove });
      const printer = spawnPrinter({ LOG_LINES: '3000', LOG_RATE: '3000' });
      let printing = true;
      const piping = sink.pipe(printer.stdout!, 'running', 'info').finally(() => {
        printing = false;
      });
      const killer = await db.pool.connect();
      let killed = 0;
      try {
        // Every 80 ms for as long as the service prints (it takes a second or more).
        while (printing) {
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
    },
  );

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

describe('log batches by COPY', () => {
  // Text-format COPY gives \\, tab, newline and CR a meaning, and reads \N as NULL and \. as the end.
  const tricky = [
    'back\\slash \\N \\. \\t \\\\',
    '\\.',
    '\\N',
    'tab\there\t',
    'multi\nline\r\nmessage\n',
    'lone \r in the middle',
    '',
    ' ',
    'emoji 😀 é ü 中文',
    'quotes \' " , ; -- /* */',
  ];

  it.each([
    ['COPY', 0],
    ['INSERT', 1000],
  ])(
    'stores messages with backslashes, tabs, newlines, CR, \\N and \\. exactly as written (%s)',
    async (_, copyAbove) => {
      const id = await runningWorkload(db.pool);
      const sink = createLogWriter(db.pool, id, { copyAbove });
      for (const message of tricky) sink.write('running', 'warn', message);
      await sink.close();
      const rows = await allLogs(id);
      expect(rows.map((r) => r.message)).toEqual(tricky);
      expect(rows.map((r) => r.seq)).toEqual(tricky.map((_, i) => i + 1));
      expect(rows.every((r) => r.level === 'warn' && r.stage === 'running')).toBe(true);
    },
  );

  it('stores piped invalid UTF-8, an emoji split across chunks, a 100 KB line (cut) and tabs/backslashes', async () => {
    const id = await runningWorkload(db.pool);
    const sink = createLogWriter(db.pool, id, { copyAbove: 0 });
    const emoji = Buffer.from('smile 😀 ok\n');
    const chunks = [
      Buffer.from([0x62, 0x61, 0x64, 0x20, 0xff, 0xfe, 0x21, 0x0a]),
      emoji.subarray(0, 8),
      emoji.subarray(8),
      Buffer.from(`${'a'.repeat(100_000)}\n`),
      Buffer.from('a\tb\\c\r\n'),
      Buffer.from('no newline at the end \\'),
    ];
    await sink.pipe(Readable.from(chunks), 'build', 'info');
    await sink.close();
    const rows = await allLogs(id);
    expect(rows.map((r) => r.message)).toEqual([
      'bad \uFFFD\uFFFD!',
      'smile 😀 ok',
      `${'a'.repeat(MAX_MESSAGE_BYTES)} …[truncated ${100_000 - MAX_MESSAGE_BYTES} bytes]`,
      'a\tb\\c',
      'no newline at the end \\',
    ]);
    expect(rows.every((r) => r.stage === 'build')).toBe(true);
  });

  it('timestamps each entry when it arrives, never before the write and never after the commit', async () => {
    const id = await runningWorkload(db.pool);
    const sink = createLogWriter(db.pool, id, { copyAbove: 0 });
    const before = Date.now();
    sink.write('running', 'info', 'first');
    await new Promise((r) => setTimeout(r, 20));
    const middle = Date.now();
    sink.write('running', 'info', 'second');
    await sink.close();
    const after = Date.now();
    const [first, second] = await allLogs(id);
    expect(first?.timestamp.getTime()).toBeGreaterThanOrEqual(before);
    expect(first?.timestamp.getTime()).toBeLessThan(middle);
    expect(second?.timestamp.getTime()).toBeGreaterThanOrEqual(middle);
    expect(second?.timestamp.getTime()).toBeLessThanOrEqual(after);
  });

  it('follows another writer of the same log: its entries keep their seq and ours continue after them', async () => {
    const id = await runningWorkload(db.pool);
    const sink = createLogWriter(db.pool, id, { copyAbove: 0 });
    sink.write('running', 'info', 'ours 1');
    await sink.flush();
    await insertLogBatch(db.pool, id, [
      { ts: new Date(), stage: 'running', level: 'error', message: 'theirs' },
    ]);
    sink.write('running', 'info', 'ours 2');
    await sink.close();
    const rows = await allLogs(id);
    expect(rows.map((r) => [r.seq, r.message])).toEqual([
      [1, 'ours 1'],
      [2, 'theirs'],
      [3, 'ours 2'],
    ]);
  });

  it('sends one NOTIFY per batch naming the workload and its last seq, after the rows are visible', async () => {
    const id = await runningWorkload(db.pool);
    const listener = new pg.Client({ connectionString: db.url });
    await listener.connect();
    try {
      const seen: { payload: string; stored: Promise<number> }[] = [];
      listener.on('notification', (n) => {
        if (n.channel !== WORKLOAD_LOGS_CHANNEL) return;
        const last = Number(n.payload?.split(':')[1]);
        const stored = db.pool
          .query('select count(*) as n from workload_log where workload_id = $1 and seq <= $2', [id, last])
          .then((r) => r.rows[0].n as number);
        seen.push({ payload: n.payload ?? '', stored });
      });
      await listener.query(`listen ${WORKLOAD_LOGS_CHANNEL}`);
      const rows = (from: number, n: number) =>
        Array.from({ length: n }, (_, i) => ({
          ts: Date.now(),
          stage: 'running' as const,
          level: 'info' as const,
          message: `m ${from + i}`,
        }));
      expect(await copyLogBatch(db.pool, id, rows(1, 3), 0)).toBe(3);
      expect(await copyLogBatch(db.pool, id, rows(4, 2500), 3)).toBe(2503);
      // The log no longer ends at 3: nothing is written, the caller is told.
      expect(await copyLogBatch(db.pool, id, rows(9, 1), 3)).toBeNull();
      await listener.query('select 1'); // notifications arrive before later results
      expect(seen.map((s) => s.payload)).toEqual([`${id}:3`, `${id}:2503`]);
      expect(await Promise.all(seen.map((s) => s.stored))).toEqual([3, 2503]);
      expect((await allLogs(id)).map((r) => r.message)).toEqual(rows(1, 2503).map((r) => r.message));
    } finally {
      await listener.end();
    }
  });

  it('answers WorkloadGoneError for a workload that does not exist, and leaves no connection behind', async () => {
    const missing = '00000000-0000-4000-8000-000000000000';
    const row = { ts: Date.now(), stage: 'running' as const, level: 'info' as const, message: 'x' };
    await expect(copyLogBatch(db.pool, missing, [row], null)).rejects.toBeInstanceOf(WorkloadGoneError);
    expect(db.pool.totalCount - db.pool.idleCount).toBe(0);
  });
});
