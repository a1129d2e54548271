import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSdk, ProjectsDocument } from '../../sdk/index.ts';
import { randomToken } from '../support/auth.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { openRawSocket, sendHugeFrame } from './helpers.ts';

/**
 * Five 90 MB WebSocket frames from clients without a token, against
 * `npm start` in its own process so its memory can be read: each closes
 * only its own socket (1009, message too big) and the server's RSS grows
 * by less than RSS_BOUND_MB (with ws's 100 MiB default it buffered every
 * frame: +750 MB).
 */
const RSS_BOUND_MB = 64;
const FRAME_BYTES = 90 * 1024 * 1024;
const TSX = fileURLToPath(new URL('../../node_modules/.bin/tsx', import.meta.url));
const START = fileURLToPath(new URL('../../app/start.ts', import.meta.url));

let db: TestDatabase;
let dataDir: string;
let child: ChildProcess;
let url: string;
let apiPid: number;
const token = randomToken();

beforeAll(async () => {
  db = await createTestDatabase();
  dataDir = await mkdtemp(join(tmpdir(), 'agentforge-frames-'));
  child = spawn(TSX, [START], {
    env: {
      ...process.env,
      DATABASE_URL: db.url,
      AGENTFORGE_DATA_DIR: dataDir,
      AGENTFORGE_API_TOKEN: token,
      AGENTFORGE_RUNNER: 'off',
      HOST: '127.0.0.1',
      PORT: '0',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk) => {
      out += chunk;
      const match = /GraphiQL at ([^\s"]+)/.exec(out);
      if (match) resolve(match[1]!);
    });
    child.once('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
  });
  // tsx runs node as its child: the API is that process.
  const children = await readFile(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8');
  apiPid = Number(children.trim().split(/\s+/)[0]) || (child.pid as number);
});
afterAll(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
  await rm(dataDir, { recursive: true, force: true });
  await db?.drop();
});

async function rssMb(): Promise<number> {
  const status = await readFile(`/proc/${apiPid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]) / 1024;
}

describe('a 90 MB WebSocket frame', () => {
  it('closes only its own socket (1009), and the server’s RSS stays within the bound', async () => {
    const other = await openRawSocket(url);
    other.send({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } });
    await other.waitFor((m) => m.type === 'connection_ack');
    const sdk = createSdk({ url, token });
    try {
      const before = await rssMb();
      let peak = before;
      const sampler = setInterval(async () => {
        peak = Math.max(peak, await rssMb().catch(() => 0));
      }, 50);
      const closes = await Promise.all(Array.from({ length: 5 }, () => sendHugeFrame(url, FRAME_BYTES)));
      clearInterval(sampler);
      peak = Math.max(peak, await rssMb());
      expect(closes).toEqual([1009, 1009, 1009, 1009, 1009]);
      expect(peak - before).toBeLessThan(RSS_BOUND_MB);
      // The other connection is still open and answers.
      other.send({ id: 'q', type: 'subscribe', payload: { query: '{ projects { id } }' } });
      await other.waitFor((m) => m.id === 'q' && m.type === 'complete');
      expect(other.messages.find((m) => m.id === 'q' && m.type === 'next')?.payload).toEqual({
        data: { projects: [] },
      });
      expect((await sdk.request(ProjectsDocument, {})).projects).toEqual([]);
    } finally {
      other.ws.terminate();
      await sdk.close();
    }
  });
});
