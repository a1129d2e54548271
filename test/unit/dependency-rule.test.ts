import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The package layout's one rule (docs/architecture.md): `src` (the API) and
 * `runner` depend on `core` and never on each other; `core` depends on none of
 * them; the CLI talks to the API only through the SDK; only `app/`, the
 * composition root, puts the API and a runner in one process.
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

const ALLOWED: Record<string, readonly string[]> = {
  core: ['core'],
  src: ['src', 'core'],
  runner: ['runner', 'core'],
  app: ['app', 'src', 'runner', 'core'],
  sdk: ['sdk'],
  cli: ['cli', 'sdk'],
};
/** Leaf modules with no imports of their own that a package outside core may still share. */
const SHARED_LEAVES = new Set(['core/stages.ts']);

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
    const rel = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(rel));
    else if (/\.(ts|tsx|js|mjs)$/.test(entry.name)) out.push(rel);
  }
  return out;
}

const IMPORT =
  /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

function relativeImports(file: string): string[] {
  const text = readFileSync(path.join(ROOT, file), 'utf8');
  const specs: string[] = [];
  for (const match of text.matchAll(IMPORT)) {
    const spec = match[1] ?? match[2]!;
    if (spec.startsWith('.')) specs.push(path.normalize(path.join(path.dirname(file), spec)));
  }
  return specs;
}

function violations(): string[] {
  const found: string[] = [];
  for (const [pkg, allowed] of Object.entries(ALLOWED)) {
    for (const file of sourceFiles(pkg)) {
      for (const target of relativeImports(file)) {
        const targetPkg = target.split(path.sep)[0]!;
        if (allowed.includes(targetPkg) || SHARED_LEAVES.has(target)) continue;
        found.push(`${file} imports ${target} (${pkg} may import only ${allowed.join(', ')})`);
      }
    }
  }
  return found;
}

describe('the dependency rule: api → core ← runner, cli → sdk', () => {
  it('holds for every import in the tree', () => {
    expect(violations()).toEqual([]);
  });

  it('sees an import that breaks it', () => {
    // The scanner itself: a runner module that imports the API is reported.
    const imports = relativeImports('app/start.ts');
    expect(imports.some((p) => p.startsWith(`src${path.sep}`))).toBe(true);
    // The runner is loaded on its own thread, by a dynamic import.
    const threadImports = relativeImports('app/runner-thread.ts');
    expect(threadImports.some((p) => p.startsWith(`runner${path.sep}`))).toBe(true);
  });

  it('keeps the shared leaves free of imports', () => {
    for (const leaf of SHARED_LEAVES) expect(relativeImports(leaf)).toEqual([]);
  });
});
