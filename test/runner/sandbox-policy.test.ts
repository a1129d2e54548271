import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StopWorkloadDocument } from '../../sdk/index.ts';
import { type Harness, logsOf, portBlock, startHarness, terminal, waitFor } from './harness.ts';

/**
 * No sandbox, no root (docs/containment.md): a root runner that cannot make the
 * sandbox refuses the local executor in validate, saying why and how to
 * fix it; AGENTFORGE_LOCAL_SANDBOX=off runs the service unconfined and says
 * so in its log.
 */
let h: Harness;

beforeAll(async () => {
  h = await startHarness(['hello'], { WORKLOAD_PORT_RANGE: portBlock() });
});
afterAll(() => h?.close());

describe.runIf(process.getuid?.() === 0)('a root runner without a sandbox', () => {
  it('refuses the local executor in validate with the reason and the fixes', async () => {
    const runner = await h.startRunner({ AGENTFORGE_BWRAP: '/nonexistent/bwrap' });
    const created = await h.createWorkload(await h.deploy('hello'));
    const failed = await waitFor(h.app, created.id, terminal);
    expect(failed).toMatchObject({ stage: 'failed', failedStage: 'validate', pid: null });
    expect(failed.error).toMatch(
      /will not run service code as root without a sandbox: bubblewrap \(bwrap\) is not installed/,
    );
    expect(failed.error).toMatch(/apt-get install bubblewrap/);
    expect(failed.error).toMatch(/AGENTFORGE_LOCAL_SANDBOX=off/);
    await runner.stop();
  });

  it('runs unconfined with AGENTFORGE_LOCAL_SANDBOX=off, with a warn entry saying so', async () => {
    const runner = await h.startRunner({
      AGENTFORGE_BWRAP: '/nonexistent/bwrap',
      AGENTFORGE_LOCAL_SANDBOX: 'off',
    });
    const created = await h.createWorkload(await h.deploy('hello'));
    const running = await waitFor(h.app, created.id, (w) => w.stage === 'running' || terminal(w));
    expect(running.stage).toBe('running');
    const logs = await logsOf(h.app, created.id);
    expect(logs).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        message: expect.stringMatching(/AGENTFORGE_LOCAL_SANDBOX=off: this service runs unconfined/),
      }),
    );
    await h.app.gql(StopWorkloadDocument, { id: created.id });
    await runner.stop();
  });
});
