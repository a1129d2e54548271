import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** Tokens shorter than this are refused: a short token can be guessed over the network. */
export const MIN_API_TOKEN_LENGTH = 32;

/** Where the generated token is kept: `<data dir>/api-token`, readable by its owner only. */
export function apiTokenPath(dataDir: string): string {
  return path.join(dataDir, 'api-token');
}

export interface ApiToken {
  token: string;
  /** `env`: AGENTFORGE_API_TOKEN; `file`: read from the data directory; `generated`: made now. */
  source: 'env' | 'file' | 'generated';
}

/**
 * The token the API requires (docs/front-door.md): AGENTFORGE_API_TOKEN when set,
 * else the one kept in the data directory, else a new random one written
 * there with mode 0600 (the `wx` flag: two processes starting at once never
 * overwrite each other's, the loser reads the winner's).
 */
export async function resolveApiToken(explicit: string | undefined, dataDir: string): Promise<ApiToken> {
  if (explicit) return { token: explicit, source: 'env' };
  const file = apiTokenPath(dataDir);
  const existing = await readToken(file);
  if (existing) return { token: existing, source: 'file' };
  await mkdir(dataDir, { recursive: true });
  const token = randomBytes(32).toString('base64url');
  try {
    await writeFile(file, `${token}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const written = await readToken(file);
    if (written) return { token: written, source: 'file' };
    throw error;
  }
  // The mode given to open() is masked by the umask; make sure of 0600.
  await chmod(file, 0o600);
  return { token, source: 'generated' };
}

async function readToken(file: string): Promise<string | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const token = text.trim();
  if (token.length < MIN_API_TOKEN_LENGTH) {
    throw new Error(
      `${file} holds a token of ${token.length} characters: expected at least ${MIN_API_TOKEN_LENGTH} (delete the file to get a new one)`,
    );
  }
  return token;
}
