import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Builds the dashboard (as `npm install` does) when this checkout has no build yet. */
export async function buildDashboard(): Promise<void> {
  if (existsSync(`${ROOT}/web/dist/index.html`)) return;
  await promisify(execFile)('npm', ['run', '-s', 'build:web'], { cwd: ROOT });
}
