import type { Command } from 'commander';
import { createSdk, type Sdk } from '../sdk/index.ts';
import { CliError } from './errors.ts';
import { createOutput, type Output } from './output/terminal.ts';
import { tokenFromDataDir } from './token.ts';

export const DEFAULT_API_URL = 'http://127.0.0.1:4000/graphql';

/** The options every command accepts (declared once on the program). */
export interface GlobalOptions {
  api: string;
  token?: string;
  json?: boolean;
  raw?: boolean;
}

/** What a command runs with: a typed SDK client for its API and an output. */
export interface CliContext {
  api: string;
  sdk: Sdk;
  /** A new client with its own WebSocket (a follow opens one per attempt). */
  connect(): Sdk;
  output: Output;
}

function checkUrl(api: string): string {
  let url: URL;
  try {
    url = new URL(api);
  } catch {
    throw new CliError(`--api "${api}" is not a URL: expected e.g. ${DEFAULT_API_URL}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new CliError(`--api "${api}" must be an http:// or https:// URL, e.g. ${DEFAULT_API_URL}`);
  }
  return api;
}

type Action<O> = (ctx: CliContext, options: O, ...args: string[]) => Promise<number | undefined>;

/**
 * Wraps a command's action: builds its context from the global options,
 * closes the client afterwards and sets the exit code it returns.
 * Errors go up to main, which prints them as one line.
 */
export function action<O>(fn: Action<O>) {
  return async (...params: unknown[]) => {
    const command = params.at(-1) as Command;
    const options = params.at(-2) as O;
    const args = params.slice(0, -2) as string[];
    const globals = command.optsWithGlobals<GlobalOptions>();
    const api = checkUrl(globals.api);
    const token = globals.token || tokenFromDataDir();
    const connect = () => createSdk({ url: api, token });
    const sdk = connect();
    const ctx: CliContext = {
      api,
      sdk,
      connect,
      output: createOutput({ json: Boolean(globals.json), raw: Boolean(globals.raw) }),
    };
    try {
      process.exitCode = (await fn(ctx, options, ...args)) ?? 0;
    } finally {
      await sdk.close();
    }
  };
}
