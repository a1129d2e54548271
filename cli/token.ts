import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The API token when neither --token nor AGENTFORGE_API_TOKEN gives one:
 * the file `npm start` keeps it in, `<AGENTFORGE_DATA_DIR>/api-token`
 * (default `.data`), as on the machine the API runs on.
 */
export function tokenFromDataDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const file = path.join(env.AGENTFORGE_DATA_DIR || '.data', 'api-token');
  try {
    return readFileSync(file, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}
