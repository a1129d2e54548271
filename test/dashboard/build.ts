import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Builds the dashboard when its sources changed since the last build, as `npm start` does. */
export async function buildDashboard(): Promise<void> {
  await promisify(execFile)(process.execPath, ['scripts/build-web.mjs', '--if-stale'], { cwd: ROOT });
}
