/** Anything that runs one statement: a pg pool or client, or the ORM's connection wrapped. */
export interface StatementRunner {
  query(sql: string): Promise<{ rows: Record<string, unknown>[] }>;
}

/**
 * The oldest PostgreSQL this project supports, as `server_version_num`
 * (major × 10000 + minor). 15 is the oldest one the test suite runs on (CI
 * runs 15, and the embedded server is 18); older servers lack what the SQL
 * relies on, so they are refused at start-up rather than failing later in
 * some query.
 */
export const MIN_SERVER_VERSION_NUM = 150000;

export class UnsupportedServerError extends Error {
  override name = 'UnsupportedServerError';
  constructor(
    readonly found: string,
    readonly minimum: number,
  ) {
    super(
      `PostgreSQL ${found} is not supported: AgentForge needs PostgreSQL ${versionName(minimum)} or newer. Upgrade the server, or leave DATABASE_URL unset to use the embedded PostgreSQL.`,
    );
  }
}

/** `150004` → `15.4`; `90624` (before 10: major.minor.patch) → `9.6.24`. */
export function versionName(num: number): string {
  if (num >= 100000) {
    const minor = num % 10000;
    return minor === 0 ? `${Math.floor(num / 10000)}` : `${Math.floor(num / 10000)}.${minor}`;
  }
  return `${Math.floor(num / 10000)}.${Math.floor(num / 100) % 100}.${num % 100}`;
}

/**
 * Asks the server its version once (`show server_version_num`) and throws
 * UnsupportedServerError, naming the version found and the versions
 * supported, when it is older than `minimum`. Resolves with the version.
 */
export async function checkServerVersion(
  db: StatementRunner,
  minimum: number = MIN_SERVER_VERSION_NUM,
): Promise<number> {
  const result = await db.query('show server_version_num');
  const num = Number(result.rows[0]?.server_version_num);
  if (!Number.isInteger(num)) throw new Error(`The server answered no usable server_version_num`);
  if (num < minimum) throw new UnsupportedServerError(versionName(num), minimum);
  return num;
}
