import { describe, expect, it } from 'vitest';
import {
  canTransition,
  deploymentStatus,
  isTerminal,
  WORKLOAD_STAGES,
  type WorkloadStage,
} from '../../core/stages.ts';

// docs/architecture.md, "Stage machine", written out independently of core/stages.ts.
const ALLOWED = new Set([
  'pending→validate',
  'pending→failed',
  'validate→build',
  'validate→failed',
  'build→deploy',
  'build→failed',
  'deploy→running',
  'deploy→failed',
  'running→stopped',
  'running→failed',
]);

describe('stage machine', () => {
  const pairs = WORKLOAD_STAGES.flatMap((from) => WORKLOAD_STAGES.map((to) => [from, to] as const));

  it.each(pairs.filter(([f, t]) => ALLOWED.has(`${f}→${t}`)))('allows %s → %s', (from, to) => {
    expect(canTransition(from, to)).toBe(true);
  });

  it.each(pairs.filter(([f, t]) => !ALLOWED.has(`${f}→${t}`)))('refuses %s → %s', (from, to) => {
    expect(canTransition(from, to)).toBe(false);
  });

  it('knows the terminal stages', () => {
    expect(WORKLOAD_STAGES.filter(isTerminal)).toEqual(['stopped', 'failed']);
  });

  it.each([
    [undefined, 'idle'],
    ['pending', 'deploying'],
    ['validate', 'deploying'],
    ['build', 'deploying'],
    ['deploy', 'deploying'],
    ['running', 'running'],
    ['stopped', 'stopped'],
    ['failed', 'failed'],
  ] as [WorkloadStage | undefined, string][])(
    'derives deployment status from latest stage %s → %s',
    (stage, status) => {
      expect(deploymentStatus(stage)).toBe(status);
    },
  );
});
