#!/usr/bin/env node
// The `agentforge` command: registers tsx's ESM loader, then runs the TypeScript CLI as is.
import { register } from 'tsx/esm/api';

register();
await import('./main.ts');
