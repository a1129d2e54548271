import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../core/logger.ts';

function collect() {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  return { destination, text: () => chunks.join('') };
}

describe('the server logger', () => {
  it('writes one JSON object a line, with the bindings of its children', () => {
    const out = collect();
    const logger = createLogger({ destination: out.destination, pretty: false });
    logger
      .child({ runnerId: 'r1' })
      .child({ workloadId: 'w1', stage: 'build' })
      .info('Workload entered build');
    const lines = out.text().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({
      level: 30,
      runnerId: 'r1',
      workloadId: 'w1',
      stage: 'build',
      msg: 'Workload entered build',
    });
  });

  it('removes secrets by their paths: tokens, authorization headers, passwords, env values', () => {
    const out = collect();
    const logger = createLogger({ destination: out.destination, pretty: false });
    logger.info(
      {
        config: { apiToken: 'tok-SECRET-1', databaseUrl: 'postgres://u:SECRET-2@h/db' },
        request: { headers: { authorization: 'Bearer SECRET-3', cookie: 'session=SECRET-4' } },
        deployment: { env: [{ name: 'API_KEY', value: 'SECRET-5' }] },
        password: 'SECRET-6',
      },
      'configured',
    );
    const text = out.text();
    expect(text).not.toMatch(/SECRET/);
    expect(JSON.parse(text)).toMatchObject({
      deployment: { env: [{ name: 'API_KEY', value: '[redacted]' }] },
    });
  });

  it('writes readable lines instead when asked (as on a terminal)', () => {
    const out = collect();
    createLogger({ destination: out.destination, pretty: true }).info({ workloadId: 'w1' }, 'hello');
    expect(out.text()).toContain('hello');
    expect(() => JSON.parse(out.text())).toThrow();
  });
});
