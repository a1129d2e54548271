import {
  type DocumentNode,
  type GraphQLField,
  type GraphQLObjectType,
  type GraphQLSchema,
  getNamedType,
  isLeafType,
  isNonNullType,
  isObjectType,
  parse,
  validate,
} from 'graphql';
import type { RestRoute } from './routes.ts';

/** The root field a route calls. */
export function rootField(schema: GraphQLSchema, route: RestRoute): GraphQLField<unknown, unknown> {
  const root = route.operation === 'query' ? schema.getQueryType() : schema.getMutationType();
  const field = root?.getFields()[route.field];
  if (!field) throw new Error(`REST route ${route.method} ${route.path}: no field ${route.field}`);
  return field;
}

/** Scalar and enum fields of a type that need no argument: what a REST response carries. */
export function leafFields(type: GraphQLObjectType): GraphQLField<unknown, unknown>[] {
  return Object.values(type.getFields()).filter(
    (f) => isLeafType(getNamedType(f.type)) && !f.args.some((a) => isNonNullType(a.type)),
  );
}

export function resultType(schema: GraphQLSchema, route: RestRoute): GraphQLObjectType {
  const type = getNamedType(rootField(schema, route).type);
  if (!isObjectType(type)) throw new Error(`REST route ${route.path}: ${type.name} is not an object type`);
  return type;
}

function selection(type: GraphQLObjectType, nested: readonly string[] = []): string {
  const parts = leafFields(type).map((f) => f.name);
  for (const name of nested) {
    const field = type.getFields()[name];
    const inner = field && getNamedType(field.type);
    if (!inner || !isObjectType(inner)) throw new Error(`${type.name}.${name} is not an object field`);
    parts.push(`${name} ${selection(inner)}`);
  }
  return `{ ${parts.join(' ')} }`;
}

/**
 * The GraphQL document a route runs, made from the schema (so a field added
 * to the type appears in the REST response too), and validated once here so
 * a schema change that breaks a route fails at start-up, not per request.
 */
export function routeDocument(schema: GraphQLSchema, route: RestRoute): DocumentNode {
  const field = rootField(schema, route);
  const arg = field.args.find((a) => a.name === route.args);
  if (!arg) throw new Error(`REST route ${route.path}: ${route.field} has no argument ${route.args}`);
  const source = `${route.operation} Rest($${arg.name}: ${arg.type.toString()}) {
    ${route.field}(${arg.name}: $${arg.name}) ${selection(resultType(schema, route), route.nested)}
  }`;
  const document = parse(source);
  const errors = validate(schema, document);
  if (errors.length) throw new Error(`REST route ${route.path}: ${errors.map((e) => e.message).join('; ')}`);
  return document;
}
