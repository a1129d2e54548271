import { SdkError } from '../sdk/index.ts';

/**
 * Exit codes: 0 done (a followed workload is running or stopped), 1 the target
 * did not succeed (the workload failed, a runner did not confirm its restart),
 * 2 usage, API or connection error.
 */
export const EXIT = { ok: 0, failed: 1, error: 2 } as const;

/** An error the CLI reports as one line, `error: <message> (<code>)`, then exits with `exitCode`. */
export class CliError extends Error {
  override name = 'CliError';
  constructor(
    message: string,
    readonly code: string = 'USAGE',
    readonly exitCode: number = EXIT.error,
  ) {
    super(message);
  }
}

export const notFound = (kind: string, id: string) =>
  new CliError(`${kind} ${id} does not exist`, 'NOT_FOUND');

/** The one line printed for any error; never a stack trace. */
export function errorLine(error: unknown): string {
  if (error instanceof CliError || error instanceof SdkError) {
    const hint = error.code === 'NETWORK' ? ' — is the API running? Start it with `npm start`' : '';
    return `error: ${error.message} (${error.code})${hint}`;
  }
  const message = error instanceof Error ? error.message : String(error);
  return `error: ${message} (INTERNAL)`;
}

export function exitCodeOf(error: unknown): number {
  return error instanceof CliError ? error.exitCode : EXIT.error;
}
