import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CHILD = fileURLToPath(new URL('./fanout-standard-child.ts', import.meta.url));

export interface StandardFollowers {
  /** Every follower has its subscription live. */
  subscribed: Promise<void>;
  /** Every follower has the last line. */
  finished: Promise<void>;
  /** After every subscription completed: (written at, latency) pairs and the lines each follower got. */
  done: Promise<{ samples: Float64Array; received: number[] }>;
  kill(): void;
}

/**
 * `count` standard graphql-ws followers (bench/fanout-standard-child.ts) of
 * one workload, split over `processes` child processes: a thousand
 * graphql-ws clients in one event loop would measure that loop, not the
 * server.
 */
export function followStandard(options: {
  url: string;
  token: string;
  workloadId: string;
  count: number;
  lines: number;
  warmupLines: number;
  processes: number;
}): StandardFollowers {
  const children: ChildProcess[] = [];
  const outs: string[] = [];
  const subscribed: Promise<void>[] = [];
  const finished: Promise<void>[] = [];
  const done: Promise<number[]>[] = [];
  for (let p = 0; p < options.processes; p++) {
    const share =
      Math.floor(options.count / options.processes) + (p < options.count % options.processes ? 1 : 0);
    const out = join(tmpdir(), `agentforge-b4-${randomBytes(4).toString('hex')}.bin`);
    outs.push(out);
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
      env: {
        ...process.env,
        URL: options.url,
        TOKEN: options.token,
        WORKLOAD_ID: options.workloadId,
        COUNT: String(share),
        LINES: String(options.lines),
        WARMUP_LINES: String(options.warmupLines),
        OUT: out,
      },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    children.push(child);
    const exited = new Promise<never>((_, reject) =>
      child.once('exit', (code) => reject(new Error(`a follower process exited (${code})`))),
    );
    exited.catch(() => {});
    const message = <T>(type: string, value: (m: Record<string, unknown>) => T) =>
      Promise.race([
        new Promise<T>((resolve, reject) =>
          child.on('message', (m: Record<string, unknown>) => {
            if (m.type === type) resolve(value(m));
            else if (m.type === 'failed') reject(new Error(String(m.message)));
          }),
        ),
        exited,
      ]);
    subscribed.push(message('subscribed', () => undefined));
    finished.push(message('finished', () => undefined));
    done.push(message('done', (m) => m.received as number[]));
  }
  for (const p of [...subscribed, ...finished, ...done]) p.catch(() => {});
  return {
    subscribed: Promise.all(subscribed).then(() => undefined),
    finished: Promise.all(finished).then(() => undefined),
    done: (async () => {
      const received = (await Promise.all(done)).flat();
      const parts = await Promise.all(outs.map((out) => readFile(out)));
      await Promise.all(outs.map((out) => rm(out, { force: true })));
      // Copied into a buffer of its own: a Float64Array needs an aligned offset.
      const bytes = new Uint8Array(Buffer.concat(parts));
      return { samples: new Float64Array(bytes.buffer), received };
    })(),
    kill() {
      for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}
