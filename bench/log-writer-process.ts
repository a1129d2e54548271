/**
 * The runner's side of B1 in a process of its own, as `npm run runner` is:
 * spawns the log-printer service and pipes its stdout into the runner's log
 * writer exactly as the local executor pipes a service (LogSink.pipe on the
 * child's stdout), then prints one JSON line with the time of the service's
 * first output and of the last row committed (ms since the epoch).
 *
 * Env: DATABASE_URL, WORKLOAD_ID, LOG_LINES.
 */
import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { createLogWriter } from '../runner/logs/log-writer.ts';

const printer = fileURLToPath(new URL('../test/fixtures/log-printer/print.mjs', import.meta.url));
const now = () => performance.timeOrigin + performance.now();

async function main() {
  const { DATABASE_URL: url, WORKLOAD_ID: id, LOG_LINES: lines } = process.env;
  if (!url || !id || !lines) throw new Error('DATABASE_URL, WORKLOAD_ID and LOG_LINES are required');
  const pool = new pg.Pool({ connectionString: url, max: 10, application_name: 'agentforge' });
  try {
    const service = spawn(process.execPath, [printer], {
      env: { PATH: process.env.PATH ?? '', LOG_LINES: lines },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let firstAt = 0;
    service.stdout.once('data', () => {
      firstAt = now();
    });
    const sink = createLogWriter(pool, id);
    await sink.pipe(service.stdout as Readable, 'running', 'info');
    await sink.close();
    const committedAt = now();
    process.stdout.write(`${JSON.stringify({ firstAt, committedAt })}\n`);
  } finally {
    await pool.end();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
