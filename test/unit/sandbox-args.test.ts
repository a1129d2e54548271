import { describe, expect, it } from 'vitest';
import { type SandboxSpec, sandboxInvocation } from '../../runner/sandbox/bwrap.ts';
import { serviceIdentity } from '../../runner/sandbox/identity.ts';

/** The sandbox as one argument list (runner/sandbox/bwrap.ts), read without starting anything. */
const spec = (overrides: Partial<SandboxSpec> = {}): SandboxSpec => ({
  identity: { uid: 201234, gid: 201234 },
  dropPrivileges: true,
  system: [
    { path: '/usr' },
    { path: '/etc' },
    { path: '/bin', symlink: 'usr/bin' },
    { path: '/lib', symlink: 'usr/lib' },
  ],
  nodePrefix: '/usr/local',
  env: { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: '/tmp', PORT: '3001', SECRET: 'value-never-on-argv' },
  fds: { args: 3, info: 4, block: 5, workingCopy: 6 },
  command: '/usr/local/bin/node',
  args: ['index.js'],
  ...overrides,
});

/** The option pairs of a list, as [flag, value…] groups. */
function has(options: string[], ...sequence: string[]): boolean {
  return options.some((_o, i) => sequence.every((s, j) => options[i + j] === s));
}

describe('the sandbox argument list', () => {
  it('as root: drops to the service uid before bubblewrap, which makes the namespaces', () => {
    const inv = sandboxInvocation(spec());
    expect(inv.file).toBe('/usr/bin/bwrap');
    expect(inv).toMatchObject({ uid: 201234, gid: 201234 });
    expect(inv.argv).toEqual(['--args', '3', '--', '/usr/local/bin/node', 'index.js']);
    for (const flag of [
      '--unshare-user',
      '--unshare-pid',
      '--unshare-ipc',
      '--unshare-uts',
      '--disable-userns',
      '--die-with-parent',
      '--new-session',
      '--clearenv',
    ])
      expect(inv.options).toContain(flag);
    // The uid is dropped outside, not mapped from root inside.
    expect(inv.options).not.toContain('--uid');
  });

  it('mounts the system read-only, a fresh /dev, its own /proc, a private /tmp and the working copy read-write', () => {
    const { options } = sandboxInvocation(spec());
    expect(has(options, '--ro-bind', '/usr', '/usr')).toBe(true);
    expect(has(options, '--ro-bind', '/etc', '/etc')).toBe(true);
    expect(has(options, '--symlink', 'usr/bin', '/bin')).toBe(true);
    expect(has(options, '--dev', '/dev')).toBe(true);
    expect(has(options, '--proc', '/proc')).toBe(true);
    expect(has(options, '--tmpfs', '/tmp')).toBe(true);
    expect(has(options, '--bind-fd', '6', '/workload')).toBe(true);
    expect(has(options, '--chdir', '/workload')).toBe(true);
    // Nothing else of the host is bound read-write, and nothing of it at all beyond the list.
    expect(options.filter((o) => o === '--bind' || o === '--dev-bind')).toEqual([]);
    expect(options.filter((o) => o === '--ro-bind')).toHaveLength(2);
    expect(has(options, '--info-fd', '4', '--block-fd', '5')).toBe(true);
  });

  it('binds node’s prefix read-only only when no system directory holds it', () => {
    expect(has(sandboxInvocation(spec()).options, '--ro-bind', '/usr/local', '/usr/local')).toBe(false);
    const elsewhere = sandboxInvocation(spec({ nodePrefix: '/opt/node-20' })).options;
    expect(has(elsewhere, '--ro-bind', '/opt/node-20', '/opt/node-20')).toBe(true);
  });

  it('sets exactly the env it is given, on the args fd and never on the command line', () => {
    const inv = sandboxInvocation(spec());
    expect(has(inv.options, '--setenv', 'SECRET', 'value-never-on-argv')).toBe(true);
    expect(has(inv.options, '--setenv', 'PORT', '3001')).toBe(true);
    expect(inv.options.filter((o) => o === '--setenv')).toHaveLength(4);
    expect(inv.argv.join(' ')).not.toContain('value-never-on-argv');
    // --clearenv comes before the first --setenv: nothing inherited survives.
    expect(inv.options.indexOf('--clearenv')).toBeLessThan(inv.options.indexOf('--setenv'));
  });

  it('as another user: the uid and gid are the ones seen inside the user namespace', () => {
    const inv = sandboxInvocation(spec({ dropPrivileges: false }));
    expect(inv.uid).toBeUndefined();
    expect(has(inv.options, '--uid', '201234', '--gid', '201234')).toBe(true);
  });
});

describe('the service identity', () => {
  it('is one uid of 200000–265535 per deployment by default, or the configured one', () => {
    const a = serviceIdentity(
      { serviceUid: undefined, serviceGid: undefined },
      '7c0e4a52-6f8e-4a8e-9d7e-1f2b3c4d5e6f',
    );
    const again = serviceIdentity(
      { serviceUid: undefined, serviceGid: undefined },
      '7c0e4a52-6f8e-4a8e-9d7e-1f2b3c4d5e6f',
    );
    expect(a).toEqual(again);
    expect(a.uid).toBeGreaterThanOrEqual(200_000);
    expect(a.uid).toBeLessThanOrEqual(265_535);
    expect(a.gid).toBe(a.uid);
    expect(serviceIdentity({ serviceUid: 4242, serviceGid: 4343 }, 'x')).toEqual({ uid: 4242, gid: 4343 });
  });
});
