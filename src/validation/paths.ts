import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { resolveInside } from '../../core/paths.ts';
import { badInput } from '../errors.ts';
import { preview } from './input.ts';

/** A project's root: an absolute path to an existing directory, stored resolved. */
export async function parseRootPath(value: string): Promise<string> {
  if (value.length === 0 || value.length > 4096 || value.includes('\u0000')) {
    throw badInput('rootPath must be an absolute directory path of at most 4096 characters', 'rootPath');
  }
  if (!path.isAbsolute(value)) {
    throw badInput(
      `rootPath "${preview(value)}" is relative: expected an absolute path such as /srv/projects/shop`,
      'rootPath',
    );
  }
  let resolved: string;
  try {
    resolved = await realpath(value);
  } catch {
    throw badInput(`rootPath "${preview(value)}" does not exist: expected an existing directory`, 'rootPath');
  }
  const info = await stat(resolved);
  if (!info.isDirectory()) throw badInput(`rootPath "${preview(value)}" is not a directory`, 'rootPath');
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
