import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RUNNER_RESTART_CHANNEL } from '../../core/sql/runner-restart.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { jsonLines, killStrayClis, runCli } from './cli.ts';

/**
 * `gateway status/restart` against the real API. Runner rows are written
 * directly, and the restart is confirmed by a LISTEN client that does what a
 * runner does on the notification: set restarted_at.
 */

let app: TestApp;
let listener: pg.Client | undefined;

beforeAll(async () => {
  app = await startTestApp({ AGENTFORGE_RUNNER: 'off' });
});
afterEach(killStrayClis);
afterAll(async () => {
  await listener?.end();
  await app?.close();
});

const cli = (...args: string[]) => runCli(args, { AGENTFORGE_API_URL: app.url });

async function addRunner(options: {
  hostname: string;
  heartbeatAgoS?: number;
  stopped?: boolean;
  active?: number;
}) {
  const id = randomUUID();
  await app.db.pool.query(
    `insert into runner (id, hostname, pid, concurrency, active_workloads, started_at, last_heartbeat_at, stopped_at)
     values ($1, $2, 4242, 4, $3, now() - interval '1 hour', now() - make_interval(secs => $4), $5)`,
    [
      id,
      options.hostname,
      options.active ?? 0,
      options.heartbeatAgoS ?? 0,
      options.stopped ? new Date() : null,
    ],
  );
  return id;
}

describe('gateway', () => {
  it('says plainly that no runner is alive', async () => {
    const status = await cli('gateway', 'status');
    expect(status.code).toBe(0);
    expect(status.stdout).toBe(
      'No runner is alive: pending workloads will wait. Start one with `npm start` or `npm run runner`.\n0 pending workloads\n',
    );
    const restart = await cli('gateway', 'restart');
    expect(restart.code).toBe(0);
    expect(restart.stdout).toMatch(/^Nothing to restart\. No runner is alive/);
  });

  it('lists runners with alive, heartbeat age, active workloads and concurrency', async () => {
    const alive = await addRunner({ hostname: 'host-a', active: 2 });
    const stale = await addRunner({ hostname: 'host-b', heartbeatAgoS: 120 });
    const stopped = await addRunner({ hostname: 'host-c', stopped: true });
    const status = await cli('gateway', 'status');
    expect(status.code).toBe(0);
    const [header, ...rows] = status.stdout.split('\n');
    expect(header).toMatch(/^ID\s+HOST\s+PID\s+ALIVE\s+HEARTBEAT\s+ACTIVE\s+CONCURRENCY\s+STARTED$/);
    expect(rows.find((r) => r.startsWith(alive))).toMatch(/host-a\s+4242\s+yes\s+[\d.]+m?s ago\s+2\s+4\s/);
    expect(rows.find((r) => r.startsWith(stale))).toMatch(/host-b\s+4242\s+no\s+2m 0\ds ago\s+0\s+4\s/);
    expect(rows.find((r) => r.startsWith(stopped))).toMatch(/host-c\s+4242\s+no \(stopped\)/);
    expect(status.stdout).toContain(
      '1 runner alive, 2 active workloads, concurrency 4, 0 pending workloads\n',
    );

    const json = JSON.parse((await cli('gateway', 'status', '--json')).stdout);
    expect(json.alive).toBe(1);
    expect(json.runners).toHaveLength(3);
  });

  it('restarts live runners and shows each confirmation; named runners must exist and be alive', async () => {
    listener = new pg.Client({ connectionString: app.db.url });
    await listener.connect();
    const notified: string[] = [];
    listener.on('notification', (n) => {
      notified.push(n.payload!);
      void app.db.pool.query(`update runner set restarted_at = now() where id = $1`, [n.payload]);
    });
    await listener.query(`listen ${RUNNER_RESTART_CHANNEL}`);
    await app.db.pool.query(`delete from runner`);
    const a = await addRunner({ hostname: 'host-a' });
    const b = await addRunner({ hostname: 'host-b' });
    const dead = await addRunner({ hostname: 'host-dead', heartbeatAgoS: 600 });

    const all = await cli('gateway', 'restart');
    expect(all.code).toBe(0);
    expect(all.stderr).toBe('');
    expect(all.stdout).toMatch(new RegExp(`^✓ host-a:4242 \\(${a}\\) restarted in \\d+ms$`, 'm'));
    expect(all.stdout).toMatch(new RegExp(`^✓ host-b:4242 \\(${b}\\) restarted in \\d+ms$`, 'm'));
    expect(all.stdout).not.toContain('host-dead');
    expect(notified.sort()).toEqual([a, b].sort());

    const one = jsonLines((await cli('gateway', 'restart', '--runner', b, '--json')).stdout)[0];
    expect(one).toEqual([expect.objectContaining({ id: b, restartConfirmed: true })]);

    const notAlive = await cli('gateway', 'restart', '--runner', dead);
    expect(notAlive.code).toBe(2);
    expect(notAlive.stderr).toMatch(
      /^error: Runner .* is not alive .*: only a live runner can restart \(BAD_USER_INPUT\)\n$/,
    );
    const unknown = randomUUID();
    const missing = await cli('gateway', 'restart', '--runner', unknown);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(`error: Runner ${unknown} does not exist (NOT_FOUND)\n`);
  });
});
