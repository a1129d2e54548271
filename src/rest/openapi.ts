import {
  type GraphQLNamedType,
  type GraphQLSchema,
  getNamedType,
  isEnumType,
  isInputObjectType,
  isObjectType,
} from 'graphql';
import { resultType, rootField } from './documents.ts';
import { inputSchema, outputSchema, type SchemaObject } from './json-schema.ts';
import { REST_BASE, REST_ROUTES, type RestRoute } from './routes.ts';

const ref = (name: string): SchemaObject => ({ $ref: `#/components/schemas/${name}` });

const ERROR_STATUS = {
  400: 'Bad input (BAD_USER_INPUT): a body that is not a JSON object, a wrong content type, an unknown field, a malformed id.',
  401: 'Missing or wrong API token (UNAUTHENTICATED).',
  404: 'No such entity (NOT_FOUND).',
  409: 'Not allowed in the current stage (INVALID_TRANSITION).',
} as const;

/**
 * The OpenAPI 3.0 document of the REST paths, derived from the route table
 * and the GraphQL schema they call: request bodies are the input types,
 * responses the fields a route returns.
 */
export function openApiDocument(schema: GraphQLSchema): Record<string, unknown> {
  const components: Record<string, SchemaObject> = {
    Error: {
      type: 'object',
      properties: {
        error: {
          type: 'object',
          properties: {
            code: {
              type: 'string',
              enum: [
                'BAD_USER_INPUT',
                'UNAUTHENTICATED',
                'NOT_FOUND',
                'INVALID_TRANSITION',
                'INTERNAL_SERVER_ERROR',
              ],
            },
            message: { type: 'string' },
          },
          required: ['code', 'message'],
        },
      },
      required: ['error'],
    },
  };
  const pending: GraphQLNamedType[] = [];
  const use = (name: string) => {
    const type = schema.getType(name);
    if (type && !(name in components) && !pending.includes(type)) pending.push(type);
    return ref(name);
  };
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of REST_ROUTES) {
    const type = resultType(schema, route);
    const name = `${type.name}${route.nested?.length ? `With${route.nested.map(capitalise).join('')}` : ''}`;
    components[name] ??= outputSchema(type, route.nested ?? [], use);
    const path = `${REST_BASE}${route.path.replace(':id', '{id}')}`;
    paths[path] ??= {};
    paths[path][route.method.toLowerCase()] = operation(schema, route, ref(name), use);
  }
  // Enums, inputs and nested objects named on the way, and those they name.
  for (let type = pending.shift(); type; type = pending.shift()) {
    if (isEnumType(type)) {
      components[type.name] = { type: 'string', enum: type.getValues().map((v) => v.name) };
    } else if (isInputObjectType(type)) {
      components[type.name] = inputSchema(type, use);
    } else if (isObjectType(type)) {
      components[type.name] = outputSchema(type, [], use);
    }
  }
  return {
    openapi: '3.0.3',
    info: {
      title: 'AgentForge REST API',
      version: '1.0.0',
      description:
        'The REST paths call the GraphQL API (/graphql) with the same resolvers, validation and errors. Send `Authorization: Bearer <token>`.',
    },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }],
    paths,
    components: {
      schemas: components,
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
    },
  };
}

function operation(
  schema: GraphQLSchema,
  route: RestRoute,
  response: SchemaObject,
  use: (name: string) => SchemaObject,
): Record<string, unknown> {
  const field = rootField(schema, route);
  const errors = Object.fromEntries(
    Object.entries(ERROR_STATUS)
      .filter(([status]) => status !== '409' || route.operation === 'mutation')
      .map(([status, description]) => [
        status,
        { description, content: { 'application/json': { schema: ref('Error') } } },
      ]),
  );
  const op: Record<string, unknown> = {
    operationId: route.field,
    summary: route.summary,
    description: field.description ?? route.summary,
    responses: {
      [route.status]: {
        description: route.status === 201 ? 'Created' : 'OK',
        content: { 'application/json': { schema: response } },
      },
      ...errors,
    },
  };
  if (route.args === 'id') {
    op.parameters = [{ name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } }];
  } else {
    const input = getNamedType(field.args.find((a) => a.name === 'input')!.type);
    op.requestBody = { required: true, content: { 'application/json': { schema: use(input.name) } } };
  }
  return op;
}

function capitalise(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}
