import { writeFileSync } from 'node:fs';
import { extname } from 'node:path';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { loadConfig } from '../core/config.ts';
import { createLogger } from '../core/logger.ts';

/**
 * `npm start`'s runner on a thread of its own. The API's event loop fans
 * log entries out to subscribers while the runner's splits services' output
 * into lines and writes them (COPY encoding, batching): on one loop, a
 * service printing fast slowed both its own log and every subscriber's.
 * Apart, each gets a core when there is one. The thread shares the process
 * (a `kill -9` of `npm start` still takes the runner and, through
 * bubblewrap's --die-with-parent and the process groups, its services with
 * it); it has its own pool and LISTEN connection, as before.
 */

/** Messages from the API's side to the runner thread. */
type ToRunner = { type: 'stop' };
/** Messages from the runner thread: a log line, started, stopped, or a failure to start or stop. */
type FromRunner =
  | { type: 'log'; line: string }
  | { type: 'started' }
  | { type: 'stopped' }
  | { type: 'failed'; message: string };

export interface RunnerThread {
  /** Resolves once the runner has registered and claims workloads; rejects if it could not start. */
  started: Promise<void>;
  /** Stops the runner (it cancels or stops everything it owns, as `Runner.stop`) and ends the thread. */
  stop(): Promise<void>;
}

/** Starts the runner thread against `databaseUrl` (the API's database, embedded or not). */
export function startRunnerThread(databaseUrl: string, log: (line: string) => void): RunnerThread {
  const [entry, evaluate] = threadEntry();
  const worker = new Worker(entry, { ...evaluate, workerData: { databaseUrl }, name: 'agentforge-runner' });
  let onStarted!: () => void;
  let onStopped!: () => void;
  let fail!: (error: Error) => void;
  const started = new Promise<void>((resolve, reject) => {
    onStarted = resolve;
    fail = reject;
  });
  const stopped = new Promise<void>((resolve) => {
    onStopped = resolve;
  });
  started.catch(() => {});
  worker.on('message', (message: FromRunner) => {
    if (message.type === 'log') log(message.line);
    else if (message.type === 'started') onStarted();
    else if (message.type === 'stopped') onStopped();
    else {
      log(`runner: ${message.message}`);
      fail(new Error(message.message));
    }
  });
  worker.on('error', (error) => {
    log(`runner: ${error.stack ?? error.message}`);
    fail(error);
    onStopped();
  });
  worker.on('exit', () => {
    fail(new Error('The runner thread ended before it started'));
    onStopped();
  });
  return {
    started,
    async stop() {
      worker.postMessage({ type: 'stop' } satisfies ToRunner);
      await stopped;
      await worker.terminate();
    },
  };
}

/**
 * What the thread runs: this module's own file, compiled or not. Run from
 * TypeScript (tsx), the thread first registers tsx's loader itself: a
 * worker does not inherit the hooks tsx registered in the main thread.
 */
function threadEntry(): [string | URL, { eval?: boolean }] {
  const ext = extname(new URL(import.meta.url).pathname);
  const file = new URL(`./runner-thread${ext}`, import.meta.url);
  if (ext !== '.ts') return [file, {}];
  const tsx = import.meta.resolve('tsx/esm/api');
  const code = `import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(file.href)}); })`;
  return [code, { eval: true }];
}

/** The thread's side: one Runner, started at once, stopped on request. */
async function runInThread(): Promise<void> {
  const port = parentPort;
  if (!port) return;
  const send = (message: FromRunner) => port.postMessage(message);
  // Named in `top -H`, `ps -L` and profiles: the runner's CPU apart from the API's.
  try {
    writeFileSync('/proc/thread-self/comm', 'agentforge-run');
  } catch {
    // Not Linux: the name is only a convenience.
  }
  const { databaseUrl } = workerData as { databaseUrl: string };
  // Loaded here only: the API's thread never needs the runner's modules.
  const { Runner } = await import('../runner/runner.ts');
  const { baseServiceEnv } = await import('../runner/service-env.ts');
  const runner = new Runner({
    config: loadConfig(),
    databaseUrl,
    baseEnv: baseServiceEnv(process.env),
    // The thread's own logger on the same stdout (JSON lines, or readable ones on a terminal).
    logger: createLogger(),
  });
  port.on('message', (message: ToRunner) => {
    if (message.type !== 'stop') return;
    runner.stop().then(
      () => {
        send({ type: 'stopped' });
        port.close();
      },
      (error: Error) => {
        send({ type: 'failed', message: `stopping: ${error.message}` });
        send({ type: 'stopped' });
        port.close();
      },
    );
  });
  try {
    await runner.start();
    send({ type: 'started' });
  } catch (error) {
    send({ type: 'failed', message: (error as Error).message });
  }
}

if (!isMainThread && (workerData as { databaseUrl?: string } | null)?.databaseUrl) await runInThread();
