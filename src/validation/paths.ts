import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { isInside, resolveInside } from '../../core/paths.ts';
import { badInput } from '../errors.ts';
import { preview } from './input.ts';

/**
 * System directories no project root may be, or be inside, after symlinks
 * are resolved (docs/containment.md). `/lib*` covers lib, lib32, lib64, libx32.
 */
const SYSTEM_DIRS = [
  '/bin',
  '/boot',
  '/dev',
  '/etc',
  '/proc',
  '/root',
  '/run',
  '/sbin',
  '/sys',
  '/usr',
  '/var',
];

function isSystemPath(candidate: string): boolean {
  if (candidate === '/') return true;
  const top = `/${candidate.split('/')[1] ?? ''}`;
  return SYSTEM_DIRS.includes(top) || /^\/lib[^/]*$/.test(top);
}

/** Where a project root may be: not a system directory, and inside a projects root when some are set. */
export function rootPathAllowed(candidate: string, projectsRoots: readonly string[]): boolean {
  if (isSystemPath(candidate)) return false;
  return projectsRoots.length === 0 || projectsRoots.some((root) => isInside(root, candidate));
}

/**
 * A project's root: an absolute path to an existing directory, stored
 * resolved. The path is judged twice, as given and once symlinks are
 * resolved. Every refusal past the shape check gives the same message, so
 * an answer never tells whether some path exists, or is a file.
 */
export async function parseRootPath(value: string, projectsRoots: readonly string[]): Promise<string> {
  if (value.length === 0 || value.length > 4096 || value.includes('\u0000')) {
    throw badInput('rootPath must be an absolute directory path of at most 4096 characters', 'rootPath');
  }
  if (!path.isAbsolute(value)) {
    throw badInput(
      `rootPath "${preview(value)}" is relative: expected an absolute path such as /srv/projects/shop`,
      'rootPath',
    );
  }
  const refused = () =>
    badInput(
      `rootPath "${preview(value)}" is not allowed: expected an existing directory that is not / or a system directory (/bin /boot /dev /etc /lib* /proc /root /run /sbin /sys /usr /var)${
        projectsRoots.length ? ` and is inside AGENTFORGE_PROJECTS_ROOT (${projectsRoots.join(':')})` : ''
      }`,
      'rootPath',
    );
  if (!rootPathAllowed(path.resolve(value), projectsRoots)) throw refused();
  const resolved = await realpath(value).catch(() => undefined);
  if (!resolved || !rootPathAllowed(resolved, projectsRoots)) throw refused();
  const info = await stat(resolved).catch(() => undefined);
  if (!info?.isDirectory()) throw refused();
  return resolved;
}

/**
 * A service path relative to the project root, normalised (`./a//b/` → `a/b`).
 * Refused when it is absolute, leaves the root lexically, or, where it exists,
 * resolves (symlinks followed) outside the root. A path that does not exist
 * yet is accepted: `validate` reports it when a workload runs.
 */
export async function parseServicePath(rootPath: string, value: string): Promise<string> {
  if (value.length === 0 || value.length > 1024 || value.includes('\u0000')) {
    throw badInput(
      'servicePath must be a relative path of 1–1024 characters, such as services/api',
      'servicePath',
    );
  }
  if (path.isAbsolute(value) || /^[A-Za-z]:[\\/]/.test(value)) {
    throw badInput(
      `servicePath "${preview(value)}" is absolute: expected a path relative to the project root`,
      'servicePath',
    );
  }
  const normalised = path.posix.normalize(value.replaceAll('\\', '/')).replace(/\/+$/, '') || '.';
  if (normalised === '..' || normalised.startsWith('../')) {
    throw badInput(
      `servicePath "${preview(value)}" leaves the project root: expected a path inside it`,
      'servicePath',
    );
  }
  const target = await resolveInside(rootPath, normalised);
  if (target === 'outside') {
    throw badInput(
      `servicePath "${preview(value)}" resolves outside the project root (through a symlink)`,
      'servicePath',
    );
  }
  return normalised;
}
