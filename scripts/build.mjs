// Compiles the TypeScript sources that run in production (app, core, src,
// runner, cli, sdk, migrations) into dist/ with the project's own `tsc`
// (tsconfig.build.json: `.ts` imports rewritten to `.js`), so `npm start`,
// `npm run runner` and the CLI run plain JavaScript, with no loader at run time.
//
//   node scripts/build.mjs          build now (npm's `prepare`: after npm install / npm ci)
//   node scripts/build.mjs --if-stale   only if a source changed (the test suite's global setup)
//   import { ensureBuilt } from …   rebuild only when a source is newer than the last build
//
// Freshness is one stat per source file against a stamp written by the last
// build, so an up-to-date check costs a few milliseconds. The stamp also
// lists the sources, so a deleted or renamed file (an old migration's output
// above all) is noticed too. A build writes into a directory of its own and
// then takes the place of dist/, under a lock, so two starts never mix outputs.
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const DIST = path.join(ROOT, 'dist');
const STAMP = path.join(DIST, '.build-stamp.json');
const LOCK = path.join(ROOT, '.dist-build.lock');
/** What tsconfig.build.json compiles, and the configs that shape the output. */
const SOURCE_DIRS = ['app', 'core', 'src', 'runner', 'cli', 'sdk', 'migrations'];
const CONFIGS = ['tsconfig.json', 'tsconfig.build.json'];
/** A lock older than this was left by a build that died. */
const STALE_LOCK_MS = 5 * 60_000;

function sources() {
  return filesUnder(SOURCE_DIRS, (name) => name.endsWith('.ts') && !name.endsWith('.d.ts'));
}

/** The files below `dirs` (relative to the root, sorted) whose names `keep` accepts. Shared with build-web.mjs. */
export function filesUnder(dirs, keep = () => true) {
  const files = [];
  const walk = (dir) => {
    for (const entry of readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
      const rel = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(rel);
      else if (keep(entry.name)) files.push(rel);
    }
  };
  for (const dir of dirs) if (existsSync(path.join(ROOT, dir))) walk(dir);
  return files.sort();
}

/**
 * Why the output stamped at `stampPath` needs a rebuild (null when it is up
 * to date): no stamp, a source added or removed since, or a source or config
 * newer than the stamp. Shared with scripts/build-web.mjs.
 */
export function staleAgainst(stampPath, files, configs) {
  let stamp;
  try {
    stamp = { mtimeMs: statSync(stampPath).mtimeMs, ...JSON.parse(readFileSync(stampPath, 'utf8')) };
  } catch {
    return 'no build yet';
  }
  if (files.join('\n') !== (stamp.files ?? []).join('\n')) return 'sources were added or removed';
  for (const file of [...files, ...configs]) {
    if (statSync(path.join(ROOT, file)).mtimeMs > stamp.mtimeMs) return `${file} changed`;
  }
  return null;
}

/** Writes the stamp of a build that began at `startedAt`: a source saved during it makes the next check rebuild. */
export function writeStamp(stampPath, files, startedAt) {
  writeFileSync(stampPath, `${JSON.stringify({ files }, null, 1)}\n`);
  utimesSync(stampPath, startedAt, startedAt);
}

/** Why dist/ needs a rebuild, or null when it is up to date. */
export function staleReason() {
  return staleAgainst(STAMP, sources(), CONFIGS);
}

/** Compiles into a fresh directory and puts it in place of dist/. Throws with tsc's output on failure. */
export function build() {
  const startedAt = new Date();
  const files = sources();
  const out = path.join(ROOT, `.dist-${process.pid}`);
  rmSync(out, { recursive: true, force: true });
  const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  if (!existsSync(tsc)) {
    throw new Error('Cannot compile dist/: typescript (a dev dependency) is not installed; run npm install');
  }
  const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', out], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  if (result.status !== 0) {
    rmSync(out, { recursive: true, force: true });
    throw new Error(
      `tsc failed (${result.error?.message ?? `exit ${result.status}`}):\n${result.stdout}${result.stderr}`,
    );
  }
  writeStamp(path.join(out, '.build-stamp.json'), files, startedAt);
  const old = path.join(ROOT, `.dist-old-${process.pid}`);
  if (existsSync(DIST)) renameSync(DIST, old);
  renameSync(out, DIST);
  rmSync(old, { recursive: true, force: true });
}

async function withLock(fn) {
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
      const age = Date.now() - (statSync(LOCK, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > STALE_LOCK_MS) rmSync(LOCK, { recursive: true, force: true });
      else await sleep(100);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

/** Rebuilds dist/ when a source is newer than the last build (another process may be building it). */
export async function ensureBuilt(log = (line) => console.error(line)) {
  if (staleReason() === null) return;
  await withLock(() => {
    const reason = staleReason();
    if (reason === null) return;
    log(`Compiling the TypeScript sources into dist/ (${reason})…`);
    const started = performance.now();
    build();
    log(`Compiled in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (process.argv.includes('--if-stale')) await ensureBuilt();
  else await withLock(() => build());
}
