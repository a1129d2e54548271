import { describe, expect, it } from 'vitest';
import { StageTracker } from '../../cli/output/stage-tracker.ts';

const at = (ms: number) => new Date(Date.UTC(2030, 0, 1) + ms).toISOString();

describe('StageTracker', () => {
  it('times progress stages from log entries, and running from the state', () => {
    const t = new StageTracker();
    expect(t.fromState('pending', at(0))).toEqual([{ stage: 'pending', previous: undefined, ms: undefined }]);
    expect(t.fromLog('validate', at(100))).toEqual([{ stage: 'validate', previous: 'pending', ms: 100 }]);
    expect(t.fromLog('validate', at(150))).toEqual([]);
    // A state that overtook the entries of the stage it ends changes nothing…
    expect(t.fromState('deploy', at(300))).toEqual([]);
    // …the entries do, in their order.
    expect(t.fromLog('build', at(250))).toEqual([{ stage: 'build', previous: 'validate', ms: 150 }]);
    expect(t.fromLog('deploy', at(300))).toEqual([{ stage: 'deploy', previous: 'build', ms: 50 }]);
    expect(t.fromState('running', at(700))).toEqual([{ stage: 'running', previous: 'deploy', ms: 400 }]);
    // Service output and late entries never move it back.
    expect(t.fromLog('deploy', at(710))).toEqual([]);
    expect(t.fromLog('running', at(720))).toEqual([]);
    expect(t.fromState('stopped', at(900))).toEqual([{ stage: 'stopped', previous: 'running', ms: 200 }]);
  });

  it('reports stages passed over without entries, untimed, and fails in the failed stage', () => {
    const t = new StageTracker();
    t.fromState('pending', at(0));
    expect(t.fromState('failed', at(500), 'build')).toEqual([
      { stage: 'validate', previous: 'pending', ms: undefined },
      { stage: 'build', previous: 'validate', ms: undefined },
      { stage: 'failed', previous: 'build', ms: undefined },
    ]);
  });

  it('marks the stage a workload failed in, timed when its entries were seen', () => {
    const t = new StageTracker();
    t.fromState('pending', at(0));
    t.fromLog('validate', at(10));
    t.fromLog('build', at(20));
    expect(t.fromState('failed', at(520), 'build')).toEqual([
      { stage: 'failed', previous: 'build', ms: 500 },
    ]);
  });

  it('starts from the stage a client joins in', () => {
    const t = new StageTracker();
    expect(t.fromState('build', at(0))).toEqual([{ stage: 'build', previous: undefined, ms: undefined }]);
    expect(t.fromLog('deploy', at(40))).toEqual([{ stage: 'deploy', previous: 'build', ms: 40 }]);
  });
});
