// Builds the dashboard (web/) into web/dist with Vite: content-hashed assets
// that the API serves at `/`.
//
//   node scripts/build-web.mjs             build now (npm's `prepare`, after npm install / npm ci)
//   node scripts/build-web.mjs --if-stale  only when a source changed
//   import { ensureWebBuilt } from …       the same, from `npm start`
//
// Freshness is one stat per source against a stamp written by the last build,
// which also lists the sources, so an added or removed file is noticed too.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { filesUnder, staleAgainst, writeStamp } from './build.mjs';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const WEB_DIST = path.join(ROOT, 'web', 'dist');
const STAMP = path.join(WEB_DIST, '.build-stamp.json');
/** What the bundle is made of: the app, its config, and the SDK documents it imports. */
const SOURCES = ['web/src', 'sdk/generated'];
const CONFIGS = ['web/index.html', 'web/vite.config.ts', 'web/tsconfig.json', 'package-lock.json'];

const sources = () => filesUnder(SOURCES);

/** Why web/dist needs a rebuild, or null when it is up to date. */
export function webStaleReason() {
  return staleAgainst(STAMP, sources(), CONFIGS);
}

export function buildWeb() {
  const startedAt = new Date();
  const files = sources();
  const vite = path.join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js');
  if (!existsSync(vite)) {
    throw new Error('Cannot build the dashboard: vite (a dev dependency) is not installed; run npm install');
  }
  const result = spawnSync(process.execPath, [vite, 'build', '--config', 'web/vite.config.ts'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  if (result.status !== 0) {
    throw new Error(
      `vite build failed (${result.error?.message ?? `exit ${result.status}`}):\n${result.stdout}${result.stderr}`,
    );
  }
  writeStamp(STAMP, files, startedAt);
}

/** Rebuilds web/dist when a source is newer than the last build. */
export function ensureWebBuilt(log = (line) => console.error(line)) {
  const reason = webStaleReason();
  if (reason === null) return;
  log(`Building the dashboard into web/dist (${reason})…`);
  const started = performance.now();
  buildWeb();
  log(`Built in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (process.argv.includes('--if-stale')) ensureWebBuilt();
  else buildWeb();
}
