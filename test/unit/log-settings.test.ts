import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../core/config.ts';

describe('log settings', () => {
  it('default to 256 MiB of output per workload and 30 days for the logs of ended workloads', () => {
    expect(loadConfig({})).toMatchObject({ logMaxBytes: 256 * 1024 * 1024, logRetentionDays: 30 });
  });

  it('are read from AGENTFORGE_LOG_MAX_BYTES and AGENTFORGE_LOG_RETENTION_DAYS (0 days: kept for ever)', () => {
    expect(
      loadConfig({ AGENTFORGE_LOG_MAX_BYTES: '1048576', AGENTFORGE_LOG_RETENTION_DAYS: '0' }),
    ).toMatchObject({ logMaxBytes: 1_048_576, logRetentionDays: 0 });
  });

  it.each([
    ['AGENTFORGE_LOG_MAX_BYTES', '256MB'],
    ['AGENTFORGE_LOG_MAX_BYTES', '100'],
    ['AGENTFORGE_LOG_MAX_BYTES', '-1'],
    ['AGENTFORGE_LOG_RETENTION_DAYS', '1.5'],
    ['AGENTFORGE_LOG_RETENTION_DAYS', '-3'],
    ['AGENTFORGE_LOG_RETENTION_DAYS', 'forever'],
  ])('refuse %s=%s with a message naming the setting and what it expects', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(
      new RegExp(`^${name} must be an integer from \\d+ to \\d+, got "${value}"$`),
    );
  });
});
