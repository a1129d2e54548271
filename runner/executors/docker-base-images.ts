import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { engineStatus, NOT_FOUND } from './docker-engine.ts';

/**
 * The images a Dockerfile (its text) builds `FROM`, with the id each has on the engine
 * now, as `FROM <reference> <id>` lines. A build of an unchanged context is
 * only the same build if its base images are the same too (a re-imported or
 * re-pulled base makes `docker build` start over), so these ids are part of
 * the key an image is reused by.
 *
 * Undefined when that cannot be known without building: a reference with a
 * variable (`FROM node:$VERSION`, `--platform=$BUILDPLATFORM`), or a base the engine does not have (the
 * build would pull it). Later stages `FROM` an earlier stage's name, and
 * `scratch`, need nothing.
 */
export async function baseImageIds(docker: Docker, dockerfile: string): Promise<string[] | undefined> {
  const references = fromReferences(dockerfile);
  if (!references) return undefined;
  const ids: string[] = [];
  for (const reference of references) {
    try {
      ids.push(`FROM ${reference} ${(await docker.getImage(reference).inspect()).Id}`);
    } catch (error) {
      if (engineStatus(error) === NOT_FOUND) return undefined;
      throw error;
    }
  }
  return ids;
}

/** The external image references of the `FROM` lines, or undefined when one has a variable. */
export function fromReferences(dockerfile: string): string[] | undefined {
  // Continuation lines are joined first, as the builder does; comments dropped.
  const lines = dockerfile
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  const stages = new Set<string>();
  const references: string[] = [];
  for (const line of lines) {
    const match = /^FROM\s+(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?\s*$/i.exec(line);
    if (!match) continue;
    if (line.includes('$')) return undefined;
    const reference = match[1] ?? '';
    const local = reference.toLowerCase() === 'scratch' || stages.has(reference.toLowerCase());
    if (match[2]) stages.add(match[2].toLowerCase());
    if (!local && !references.includes(reference)) references.push(reference);
  }
  return references;
}

/** The service's Dockerfile, as text. */
export function readDockerfile(serviceDir: string): Promise<string> {
  return readFile(join(serviceDir, 'Dockerfile'), 'utf8');
}
