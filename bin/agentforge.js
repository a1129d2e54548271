#!/usr/bin/env node
// The `agentforge` command: the compiled CLI (dist/cli/main.js), rebuilt first if a source changed.
import { ensureBuilt } from '../scripts/build.mjs';

await ensureBuilt();
await import('../dist/cli/main.js');
