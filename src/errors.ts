import { GraphQLError } from 'graphql';

/**
 * The error codes of the public contract (docs/contract.md, "Errors"). Every expected error
 * a client can cause is one of these; anything else is masked by yoga.
 */
export type ErrorCode = 'BAD_USER_INPUT' | 'NOT_FOUND' | 'INVALID_TRANSITION' | 'UNAUTHENTICATED';

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
