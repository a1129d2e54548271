// `node scripts/run.mjs app/start.ts [args…]`: runs the compiled form of a
// source entry (dist/app/start.js) in this very process, after rebuilding
// dist/ if a source changed since the last build. npm scripts call it with
// `exec`, so the process npm starts (and signals) is the app itself.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { DIST, ensureBuilt } from './build.mjs';

const entry = process.argv[2];
if (!entry?.endsWith('.ts')) {
  console.error('usage: node scripts/run.mjs <source entry>.ts [args…]');
  process.exit(2);
}
try {
  await ensureBuilt();
} catch (error) {
  console.error(error.message);
  process.exit(1);
}
// The entry sees its own arguments as if it had been started directly.
process.argv.splice(1, 2, path.join(DIST, entry.replace(/\.ts$/, '.js')));
await import(pathToFileURL(process.argv[1]).href);
