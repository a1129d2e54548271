#!/usr/bin/env node
// The `agentforge` command: the compiled CLI (dist/cli/main.js), rebuilt first if a source changed.
import { ensureBuilt } from '../scripts/build.mjs';

try {
  await ensureBuilt();
} catch (error) {
  console.error(error.message);
  process.exit(1);
}
await import('../dist/cli/main.js');
