import type { GraphQLInputObjectType } from 'graphql';
import { badInput } from '../errors.ts';

/** Same bound as the GraphQL endpoint's. */
export const MAX_BODY_BYTES = 1_000_000;

export class BodyTooLargeError extends Error {}

/**
 * The JSON object a POST sends, checked before anything runs: the content
 * type is JSON, the body parses, it is an object, and it names only fields
 * of `input` (null input: the route takes no body, so only nothing or `{}`).
 * Throws a BAD_USER_INPUT ApiError saying what was wrong and what was expected.
 */
export async function readJsonBody(
  request: Request,
  input: GraphQLInputObjectType | null,
): Promise<Record<string, unknown>> {
  const declared = Number(request.headers.get('content-length') ?? 0);
  if (declared > MAX_BODY_BYTES) throw new BodyTooLargeError();
  const text = await request.text();
  if (Buffer.byteLength(text) > MAX_BODY_BYTES) throw new BodyTooLargeError();
  if (input === null && text.trim() === '') return {};
  const type = (request.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') {
    throw badInput(`Content-Type is "${type || 'missing'}": expected application/json`);
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw badInput('The body is not valid JSON: expected a JSON object');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw badInput('The body must be a JSON object');
  }
  const allowed = input ? Object.keys(input.getFields()) : [];
  const unknown = Object.keys(body).filter((k) => !allowed.includes(k));
  if (unknown.length) {
    throw badInput(
      `Unknown field${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `"${k.slice(0, 64)}"`).join(', ')}: expected ${
        allowed.length ? `only ${allowed.join(', ')}` : 'no body or {}'
      }`,
      unknown[0],
    );
  }
  return body as Record<string, unknown>;
}
