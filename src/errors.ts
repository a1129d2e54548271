import { GraphQLError } from 'graphql';

/**
 * The error codes of the public contract (docs/contract.md, "Errors"). Every expected error
 * a client can cause is one of these; anything else is masked by yoga.
 */
export type ErrorCode =
  | 'BAD_USER_INPUT'
  | 'NOT_FOUND'
  | 'INVALID_TRANSITION'
  | 'UNAUTHENTICATED'
  | 'STOP_TIMEOUT';

export class ApiError extends GraphQLError {
  constructor(code: ErrorCode, message: string, extra: Record<string, unknown> = {}) {
    super(message, { extensions: { code, ...extra } });
  }
}

export const badInput = (message: string, field?: string) =>
  new ApiError('BAD_USER_INPUT', message, field ? { field } : {});

export const notFound = (kind: string, id: string) =>
  new ApiError('NOT_FOUND', `${kind} ${id} does not exist`);

export const invalidTransition = (message: string) => new ApiError('INVALID_TRANSITION', message);

export const unauthenticated = () =>
  new ApiError('UNAUTHENTICATED', 'Missing or wrong API token: send "Authorization: Bearer <token>"', {
    http: { status: 401 },
  });

/** stopWorkload waited and the workload is still live: its runner holds its lease but has not ended it. */
export const stopTimeout = (id: string, stage: string, waitedMs: number) =>
  new ApiError(
    'STOP_TIMEOUT',
    `Workload ${id} is still ${stage} after ${Math.round(waitedMs / 1000)} s: its runner is alive but has not stopped it. The stop request stands (stopRequested is true); the workload ends when the runner acts on it or is found gone. Call stopWorkload again or follow workloadUpdated.`,
    { workloadId: id, stage },
  );
