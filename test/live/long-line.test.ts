import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { readLogs } from '../../core/sql/read-logs.ts';
import { createLogWriter } from '../../runner/logs/log-writer.ts';
import { MAX_MESSAGE_BYTES } from '../../runner/logs/utf8-lines.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { measureLiveMemory } from '../support/memory.ts';
import { killPrinters, runningWorkload, spawnPrinter } from './helpers.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterEach(() => killPrinters());
afterAll(() => db?.drop());

const LONG = 32 * 1024 * 1024;

it('turns 32 MiB printed by a service without a newline into one cut entry, holding far less than the line', async () => {
  const id = await runningWorkload(db.pool);
  const sink = createLogWriter(db.pool, id);
  const memory = await measureLiveMemory();
  // The service's stdout, piped as the local executor pipes it.
  await sink.pipe(spawnPrinter({ LOG_LONG_LINE: String(LONG), LOG_LINES: '0' }).stdout!, 'running', 'info');
  const growth = await memory.stop();
  await sink.close();
  const rows = await readLogs(db.pool, id, { after: 0, limit: 10 });
  expect(rows.map((r) => r.message)).toEqual([
    `${'x'.repeat(MAX_MESSAGE_BYTES)} …[truncated ${LONG - MAX_MESSAGE_BYTES} bytes]`,
  ]);
  expect(growth).toBeLessThan(LONG / 4);
}, 240_000);
