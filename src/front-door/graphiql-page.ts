import { createHash } from 'node:crypto';
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import type { Plugin } from 'graphql-yoga';

/**
 * GraphiQL from the installed package (@graphql-yoga/render-graphiql: its
 * scripts, styles and editor workers inlined, no CDN), so it works on a
 * machine without internet. The page is about 9 MB: it is rendered once,
 * and its content security policy allows exactly its own inline script (by
 * hash), the workers it makes from blobs, and requests to this origin.
 */
export interface GraphiQLPage {
  html: string;
  contentSecurityPolicy: string;
}

type RenderOptions = Parameters<typeof renderGraphiQL>[0];

export function buildGraphiQLPage(options: RenderOptions): GraphiQLPage {
  const html = renderGraphiQL(options);
  const hashes = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map(
    (match) => `'sha256-${createHash('sha256').update(match[1]!).digest('base64')}'`,
  );
  const contentSecurityPolicy = [
    "default-src 'none'",
    `script-src ${hashes.join(' ')}`,
    'worker-src blob:',
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    // 'self' covers ws:// to the same host and port (CSP level 3).
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  return { html, contentSecurityPolicy };
}

/**
 * yoga's `renderGraphiQL` (the page is built on first use, then reused) and
 * a plugin that gives the page its policy and lets the browser cache it.
 */
export function graphiqlPage(): { render: (options: RenderOptions) => string; plugin: Plugin } {
  let page: GraphiQLPage | undefined;
  return {
    render: (options) => {
      page ??= buildGraphiQLPage(options);
      return page.html;
    },
    plugin: {
      onResponse({ request, response }) {
        if (!page || request.method !== 'GET' || response.headers.get('content-type') !== 'text/html') return;
        response.headers.set('content-security-policy', page.contentSecurityPolicy);
        response.headers.set('cache-control', 'private, max-age=3600');
      },
    },
  };
}
