import { spawn } from 'node:child_process';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { openDatabase } from '../core/db/database.ts';
import { followMany } from './fanout-clients.ts';
import type { Benchmark } from './harness.ts';
import { finish, now, runningWorkload, startApiProcess } from './live-logs.ts';

const LINES = 200_000;
const WRITER = fileURLToPath(new URL('./log-writer-process.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * B1: one service prints 200,000 lines as fast as it can (the log-printer
 * fixture); lines/s from its first output to the last row committed, and to
 * the last line received by one graphql-ws subscriber. Three processes, as
 * in a deployment: the API (`npm start` without its runner), the runner's
 * log writer with the service it pipes (bench/log-writer-process.ts), and
 * the subscriber (this process). Baseline: the same rows written with one
 * COPY by a plain pg client into the same table (which, like the writer's
 * batches, pays no per-row foreign key check: the table has none).
 */
const bench: Benchmark = {
  id: 'B1',
  title: 'log throughput: 200,000 lines, one service, one subscriber',
  async run(ctx) {
    const url = await ctx.createDatabase();
    // The API in its own process (as with `npm run runner` next to `npm start`), the writer in another.
    const api = await startApiProcess(url);
    const db = await openDatabase(url, { migrate: false });
    try {
      const id = await runningWorkload(db.pool);
      let receivedAt = 0;
      let received = 0;
      // A raw graphql-transport-ws client (as in B4): graphql-ws's own client costs as much per event as
      // the server being measured, on the same two cores.
      const follower = await followMany(api.url, id, 1, {
        entry(_index, seq) {
          received++;
          if (seq === LINES) receivedAt = now();
        },
      });
      const { firstAt, committedAt } = await runWriter(url, id);
      await finish(db.pool, id);
      await follower.done;
      const stored = (
        await db.pool.query('select count(*) as n from workload_log where workload_id = $1', [id])
      ).rows[0].n as number;

      // Baseline: the same rows, one COPY, a plain client.
      const baselineRate = await copyRate(url, await runningWorkload(db.pool));
      const committedRate = LINES / ((committedAt - firstAt) / 1000);
      const receivedRate = LINES / ((receivedAt - firstAt) / 1000);
      const dropped = LINES - stored;
      const ratio = committedRate / baselineRate;
      return {
        measurements: [
          { name: 'committed', value: committedRate, unit: 'lines/s' },
          { name: 'received', value: receivedRate, unit: 'lines/s' },
          { name: 'dropped', value: dropped, unit: 'lines' },
          { name: 'subscriber got', value: received, unit: 'lines' },
        ],
        baseline: { name: 'COPY', value: baselineRate, unit: 'lines/s' },
        ratio,
        goal: '≥100,000 lines/s committed and ≥0.5× COPY (ours/COPY), 0 dropped',
        met: committedRate >= 100_000 && ratio >= 0.5 && dropped === 0 && received === LINES,
        notes: [
          'workload_log has no per-row foreign key (each batch proves its workload by reserving seq on the workload row; a statement-level trigger deletes the log of a deleted workload), so neither ours nor the baseline COPY pays a per-row check; ours also reserves seq, notifies and commits in batches of at most 20,000 rows.',
          "The service's stdout reaches the runner's log writer through LogSink.pipe on the child's stdout, the path the local executor uses (no claim loop or stages around it); the writer runs in a process of its own, the API in another, the subscriber here.",
        ],
      };
    } finally {
      await db.close();
      await api.stop();
    }
  },
};

/** Lines/s of one COPY of LINES rows by a plain client, in one transaction. */
async function copyRate(url: string, workloadId: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const ts = new Date().toISOString();
  const started = now();
  try {
    await client.query('begin');
    await pipeline(
      Readable.from(
        (function* () {
          const rows: string[] = [];
          for (let i = 1; i <= LINES; i++) {
            rows.push(`${workloadId}\t${i}\t${ts}\trunning\tinfo\tline ${i}\n`);
            if (rows.length === 1000) yield rows.splice(0).join('');
          }
          if (rows.length) yield rows.join('');
        })(),
      ),
      client.query(copyFrom('copy workload_log (workload_id, seq, ts, stage, level, message) from stdin')),
    );
    await client.query('commit');
  } finally {
    await client.end();
  }
  return LINES / ((now() - started) / 1000);
}

/** Runs bench/log-writer-process.ts to the end; its one JSON line has the times. */
async function runWriter(
  databaseUrl: string,
  workloadId: string,
): Promise<{ firstAt: number; committedAt: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', WRITER], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      DATABASE_URL: databaseUrl,
      WORKLOAD_ID: workloadId,
      LOG_LINES: String(LINES),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', resolve);
  });
  if (code !== 0) throw new Error(`The log writer process exited with ${code}`);
  return JSON.parse(out) as { firstAt: number; committedAt: number };
}

export default bench;
