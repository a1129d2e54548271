import type { GraphQLError } from 'graphql';
import type { ErrorCode } from '../errors.ts';

/** HTTP status of each public error code on the REST paths. */
export const REST_STATUS: Record<ErrorCode, number> = {
  BAD_USER_INPUT: 400,
  UNAUTHENTICATED: 401,
  NOT_FOUND: 404,
  INVALID_TRANSITION: 409,
  // stopWorkload gave up waiting for the runner to end the workload.
  STOP_TIMEOUT: 504,
};

export function restError(
  code: ErrorCode | 'INTERNAL_SERVER_ERROR',
  message: string,
  status?: number,
): Response {
  return Response.json(
    { error: { code, message } },
    { status: status ?? (code === 'INTERNAL_SERVER_ERROR' ? 500 : REST_STATUS[code]) },
  );
}

/**
 * The REST answer for a GraphQL result with errors. A result without `data`
 * was refused before any resolver ran: its variables (the request) did not
 * fit the schema's input types, which is the client's bad input. Anything
 * with an unknown code was an unexpected error (already masked).
 */
export function errorFromResult(result: { data?: unknown; errors: readonly GraphQLError[] }): Response {
  const error = result.errors[0]!;
  const code = error.extensions?.code;
  if (typeof code === 'string' && code in REST_STATUS) return restError(code as ErrorCode, error.message);
  if (!('data' in result)) return restError('BAD_USER_INPUT', requestMessage(error.message));
  return restError('INTERNAL_SERVER_ERROR', 'Unexpected error.');
}

/** graphql-js words input errors after the variable (`Variable "$input" got invalid value …; `): keep the reason. */
function requestMessage(message: string): string {
  const match = /^Variable "\$\w+" got invalid value .*?(?: at "\w+\.(.+?)")?; (.*)$/s.exec(message);
  const reason = match ? `${match[1] ? `${match[1]}: ` : ''}${match[2]}` : message;
  return `${reason.replace(/\.$/, '')} (see /api/openapi.json for the request bodies)`;
}
