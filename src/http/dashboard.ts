import { existsSync, readdirSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The checkout this module belongs to, whether it runs from src/ or compiled under dist/. */
function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return dir;
}

/** Where `npm run build:web` (run by `npm install` and, when stale, by `npm start`) writes the dashboard. */
export const DASHBOARD_DIR = path.join(packageRoot(), 'web', 'dist');

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
};

/**
 * The page may load only its own scripts and styles and talk only to its own
 * origin (HTTP and WebSocket); nothing from a CDN, nothing inline.
 */
export const DASHBOARD_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

interface Asset {
  body: Buffer;
  type: string;
}

/**
 * The dashboard's files, read once at start: `index.html` (revalidated on
 * every load) and the content-hashed files under `assets/` (cached for a year:
 * a new build has new names). Names are looked up in this table, never joined
 * onto a path, so no request can reach another file.
 */
export function loadDashboard(
  dir = DASHBOARD_DIR,
): { index: Buffer; assets: Map<string, Asset> } | undefined {
  let index: Buffer;
  try {
    index = readFileSync(path.join(dir, 'index.html'));
  } catch {
    return undefined;
  }
  const assets = new Map<string, Asset>();
  let names: string[] = [];
  try {
    names = readdirSync(path.join(dir, 'assets'));
  } catch {}
  for (const name of names) {
    const type = TYPES[path.extname(name)];
    if (type) assets.set(name, { body: readFileSync(path.join(dir, 'assets', name)), type });
  }
  return { index, assets };
}

const NOT_BUILT = Buffer.from(
  '<!doctype html><title>AgentForge</title><p>The dashboard is not built. Run <code>npm run build:web</code> ' +
    '(<code>npm install</code> does it), then reload. GraphiQL is at <a href="/graphql">/graphql</a>.</p>',
);

/** Answers GET/HEAD of `/` and `/assets/*`; returns false for anything else. */
export function dashboardHandler(dir = DASHBOARD_DIR) {
  const files = loadDashboard(dir);
  return (request: IncomingMessage, response: ServerResponse): boolean => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return false;
    const { pathname } = new URL(request.url ?? '/', 'http://localhost');
    if (pathname === '/' || pathname === '/index.html') {
      const body = files?.index ?? NOT_BUILT;
      response.writeHead(files ? 200 : 503, {
        'content-type': 'text/html; charset=utf-8',
        'content-length': body.length,
        'cache-control': 'no-cache',
        'content-security-policy': DASHBOARD_CSP,
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
      });
      response.end(request.method === 'HEAD' ? undefined : body);
      return true;
    }
    if (!pathname.startsWith('/assets/')) return false;
    const asset = files?.assets.get(pathname.slice('/assets/'.length));
    if (!asset) {
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
      response.end('Not found');
      return true;
    }
    response.writeHead(200, {
      'content-type': asset.type,
      'content-length': asset.body.length,
      'cache-control': 'public, max-age=31536000, immutable',
      'x-content-type-options': 'nosniff',
    });
    response.end(request.method === 'HEAD' ? undefined : asset.body);
    return true;
  };
}
