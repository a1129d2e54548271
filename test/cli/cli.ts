import { type ChildProcess, spawn } from 'node:child_process';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { presentTokenTo, tokenFor } from '../support/auth.ts';

/** The real `agentforge` bin, run as a child process like a user runs it. */
const BIN = fileURLToPath(new URL('../../bin/agentforge.js', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunningCli {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves once stdout satisfies `test` (the test's own timeout bounds it). */
  waitForOutput(test: (stdout: string) => boolean): Promise<void>;
  done: Promise<CliResult>;
}

const running = new Set<ChildProcess>();
/** A data directory that does not exist: the CLI finds no token file unless a test gives one. */
const NO_DATA_DIR = join(tmpdir(), 'agentforge-cli-test-no-data-dir');

/** Starts the CLI; `env` adds to a clean environment (no colour, UTC times, no inherited API settings). */
export function startCli(
  args: string[],
  env: Record<string, string> = {},
  options: { tty?: boolean } = {},
): RunningCli {
  const base: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !k.startsWith('AGENTFORGE_') && k !== 'FORCE_COLOR' && k !== 'NO_COLOR')
      base[k] = v;
  }
  // The token of a test app (test/support/auth.ts), as a user's environment would hold it;
  // no token file of this checkout's .data/ is read.
  const apiAt = args.indexOf('--api');
  const api = apiAt !== -1 ? args[apiAt + 1] : env.AGENTFORGE_API_URL;
  const token = api ? tokenFor(api) : undefined;
  if (token && env.AGENTFORGE_API_TOKEN === undefined && !args.includes('--token')) {
    base.AGENTFORGE_API_TOKEN = token;
  }
  base.AGENTFORGE_DATA_DIR = NO_DATA_DIR;
  const command = [process.execPath, BIN, ...args];
  // On a TTY: util-linux `script` runs the CLI on a pseudo-terminal and copies what it draws to stdout.
  const [file, ...argv] = options.tty
    ? [
        'script',
        '--quiet',
        '--flush',
        '--return',
        '--command',
        // A sized terminal, as a user's is: a pty created without one reports 0 columns.
        `stty cols 120 rows 40; exec ${command.map(shellQuote).join(' ')}`,
        '/dev/null',
      ]
    : command;
  const child = spawn(file!, argv, {
    cwd: ROOT,
    env: { ...base, TZ: 'UTC', ...(options.tty ? { TERM: 'xterm-256color' } : { NO_COLOR: '1' }), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let stdout = '';
  let stderr = '';
  const waiters = new Set<() => void>();
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    for (const w of waiters) w();
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      running.delete(child);
      for (const w of waiters) w();
      resolve({ code, stdout, stderr });
    });
  });
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    waitForOutput: (test) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (test(stdout)) {
            waiters.delete(check);
            resolve();
          } else if (child.exitCode !== null || child.signalCode !== null) {
            waiters.delete(check);
            reject(
              new Error(`CLI exited (${child.exitCode}) before the expected output:\n${stdout}\n${stderr}`),
            );
          }
        };
        waiters.add(check);
        check();
      }),
    done,
  };
}

export function runCli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return startCli(args, env).done;
}

const shellQuote = (arg: string) => `'${arg.replaceAll("'", "'\\''")}'`;

/** Kills CLI children a failed test left behind. */
export function killStrayClis(): void {
  for (const child of running) child.kill('SIGKILL');
}

/** Parses every non-empty stdout line as JSON. */
// biome-ignore lint/suspicious/noExplicitAny: the CLI's JSON output, asserted field by field in the tests
export function jsonLines(stdout: string): any[] {
  return stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line));
}

/**
 * A TCP proxy in front of the API, so a test can cut the CLI's connections
 * (HTTP and WebSocket) mid-stream while the server keeps running.
 */
export interface CuttableProxy {
  url: string;
  /** Destroys every open connection; new ones are accepted again. */
  cut(): number;
  close(): Promise<void>;
}

export async function startProxy(targetPort: number): Promise<CuttableProxy> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const url = `http://127.0.0.1:${port}/graphql`;
  // Clients of the proxy present the token of the app behind it.
  const token = tokenFor(`http://127.0.0.1:${targetPort}`);
  const forget = token ? presentTokenTo(url, token) : () => {};
  return {
    url,
    cut() {
      const n = sockets.size;
      for (const s of sockets) s.destroy();
      return n;
    },
    async close() {
      forget();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
