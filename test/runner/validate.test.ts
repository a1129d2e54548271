import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, logsOf, portBlock, startHarness, terminal, waitFor } from './harness.ts';

let h: Harness;

beforeAll(async () => {
  h = await startHarness(['no-package', 'no-start', 'hello'], { WORKLOAD_PORT_RANGE: portBlock() });
  await mkdir(join(h.root, 'invalid-package'));
  await writeFile(join(h.root, 'invalid-package', 'package.json'), '{ "name": "invalid", "scripts": {');
  await h.startRunner();
});
afterAll(() => h?.close());

async function failsInValidate(servicePath: string, executor?: 'docker') {
  const created = await h.createWorkload(await h.deploy(servicePath, executor ? { executor } : {}));
  const failed = await waitFor(h.app, created.id, terminal);
  expect(failed).toMatchObject({ stage: 'failed', failedStage: 'validate', port: null, pid: null });
  const logs = await logsOf(h.app, created.id);
  expect(logs[0]).toMatchObject({ stage: 'validate', message: `Claimed by runner ${h.runners[0]!.id}` });
  expect(logs.at(-1)).toMatchObject({ stage: 'validate', level: 'error', message: failed.error });
  expect(logs.every((l) => l.stage === 'validate')).toBe(true);
  return failed.error!;
}

describe('validate', () => {
  it('fails when the service directory does not exist', async () => {
    expect(await failsInValidate('services/missing')).toBe(
      `Service directory services/missing does not exist in the project root ${h.root}`,
    );
  });

  it('fails when there is no package.json', async () => {
    expect(await failsInValidate('no-package')).toBe(
      'No package.json in no-package: a Node service needs one',
    );
  });

  it('fails when package.json is not valid JSON', async () => {
    expect(await failsInValidate('invalid-package')).toMatch(
      /^invalid-package\/package\.json is not valid JSON: /,
    );
  });

  it('fails when there is no start command', async () => {
    expect(await failsInValidate('no-start')).toBe(
      'No start command in no-start: package.json has neither scripts.start nor main, and there is no server.js',
    );
  });

  it('fails executor docker without a Dockerfile, naming what is missing', async () => {
    expect(await failsInValidate('hello', 'docker')).toBe('Executor docker needs a Dockerfile in hello');
  });
});
