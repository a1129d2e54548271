import { type DocumentNode, type GraphQLSchema, getNamedType, isInputObjectType, print } from 'graphql';
import type { Plugin, YogaServerInstance } from 'graphql-yoga';
import { ApiError, type ErrorCode } from '../errors.ts';
import { rootField, routeDocument } from './documents.ts';
import { errorFromResult, restError } from './errors.ts';
import { openApiDocument } from './openapi.ts';
import { BodyTooLargeError, readJsonBody } from './request-body.ts';
import { matchRoute, OPENAPI_PATH, REST_BASE, REST_ROUTES, type RestRoute } from './routes.ts';

// biome-ignore lint/suspicious/noExplicitAny: the server's context types are not needed here
type Yoga = YogaServerInstance<any, any>;

/**
 * The REST paths (routes.ts) as a yoga plugin: each request runs its
 * route's GraphQL document through yoga's envelop (the same plugins,
 * context, resolvers and error masking as /graphql). Place it after the
 * auth plugin: it answers only requests that plugin let through.
 */
export function restPlugin(schema: GraphQLSchema, yoga: () => Yoga): Plugin {
  const documents = new Map<RestRoute, { document: DocumentNode; query: string }>();
  for (const route of REST_ROUTES) {
    const document = routeDocument(schema, route);
    documents.set(route, { document, query: print(document) });
  }
  const openApi = JSON.stringify(openApiDocument(schema));

  return {
    async onRequest({ url, request, endResponse, serverContext }) {
      if (url.pathname !== REST_BASE && !url.pathname.startsWith(`${REST_BASE}/`)) return;
      if (url.pathname === OPENAPI_PATH && request.method === 'GET') {
        endResponse(new Response(openApi, { headers: { 'content-type': 'application/json' } }));
        return;
      }
      const { route, id, methods } = matchRoute(request.method, url.pathname.slice(REST_BASE.length));
      if (!route) {
        endResponse(
          methods.length
            ? restError(
                'BAD_USER_INPUT',
                `${request.method} is not allowed here: use ${methods.join(', ')}`,
                405,
              )
            : restError('NOT_FOUND', `No REST path ${url.pathname}: see ${OPENAPI_PATH}`),
        );
        return;
      }
      endResponse(await run(yoga(), route, documents.get(route)!, request, serverContext, id));
    },
  };
}

async function run(
  yoga: Yoga,
  route: RestRoute,
  { document, query }: { document: DocumentNode; query: string },
  request: Request,
  serverContext: object,
  id: string | undefined,
): Promise<Response> {
  let variables: Record<string, unknown>;
  try {
    if (route.args === 'id') {
      if (route.method === 'POST') await readJsonBody(request, null);
      variables = { id };
    } else {
      const input = getNamedType(
        rootField(yoga.getEnveloped().schema, route).args.find((a) => a.name === 'input')!.type,
      );
      variables = { input: await readJsonBody(request, isInputObjectType(input) ? input : null) };
    }
  } catch (error) {
    if (error instanceof BodyTooLargeError) return restError('BAD_USER_INPUT', 'The body is over 1 MB', 413);
    if (error instanceof ApiError) return restError(error.extensions.code as ErrorCode, error.message);
    throw error;
  }

  const params = { query, variables, operationName: 'Rest' };
  const enveloped = yoga.getEnveloped({ ...serverContext, request, params });
  const contextValue = await enveloped.contextFactory();
  const result = (await enveloped.execute({
    schema: enveloped.schema,
    document,
    variableValues: variables,
    contextValue,
    operationName: 'Rest',
  })) as { data?: Record<string, unknown> | null; errors?: readonly ApiError[] };
  if (result.errors?.length) return errorFromResult({ ...result, errors: result.errors });
  const value = result.data?.[route.field];
  if (value === null && route.notFound) {
    return restError('NOT_FOUND', `${route.notFound} ${id} does not exist`);
  }
  return Response.json(value, { status: route.status });
}
