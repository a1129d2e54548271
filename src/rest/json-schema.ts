import {
  type GraphQLInputObjectType,
  type GraphQLInputType,
  type GraphQLNamedType,
  type GraphQLObjectType,
  type GraphQLOutputType,
  getNullableType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isObjectType,
} from 'graphql';
import { leafFields } from './documents.ts';

/** An OpenAPI 3.0 schema object (the JSON Schema dialect OpenAPI 3.0 uses). */
export type SchemaObject = Record<string, unknown>;

const SCALARS: Record<string, SchemaObject> = {
  ID: { type: 'string' },
  String: { type: 'string' },
  Int: { type: 'integer', format: 'int32' },
  Float: { type: 'number' },
  Boolean: { type: 'boolean' },
  DateTime: { type: 'string', format: 'date-time' },
};

function named(type: GraphQLNamedType, ref: (name: string) => SchemaObject): SchemaObject {
  if (isEnumType(type) || isInputObjectType(type) || isObjectType(type)) return ref(type.name);
  const scalar = SCALARS[type.name];
  if (!scalar) throw new Error(`No JSON schema for the GraphQL type ${type.name}`);
  return { ...scalar };
}

/** A GraphQL input or output type as a schema; named types (enums, inputs) by `$ref`. */
export function typeSchema(
  type: GraphQLInputType | GraphQLOutputType,
  ref: (name: string) => SchemaObject,
): SchemaObject {
  const nullable = !isNonNullType(type);
  const inner = getNullableType(type);
  const schema = isListType(inner)
    ? { type: 'array', items: typeSchema(inner.ofType, ref) }
    : named(inner as GraphQLNamedType, ref);
  if (!nullable) return schema;
  // OpenAPI 3.0: a $ref cannot carry siblings, so a nullable reference is wrapped.
  return '$ref' in schema ? { allOf: [schema], nullable: true } : { ...schema, nullable: true };
}

/** An input type: its fields, the non-null ones required, no others allowed. */
export function inputSchema(type: GraphQLInputObjectType, ref: (name: string) => SchemaObject): SchemaObject {
  const fields = Object.values(type.getFields());
  return {
    type: 'object',
    description: type.description ?? undefined,
    properties: Object.fromEntries(
      fields.map((f) => [
        f.name,
        { ...typeSchema(f.type, ref), ...(f.description ? { description: f.description } : {}) },
      ]),
    ),
    required: fields.filter((f) => isNonNullType(f.type) && f.defaultValue === undefined).map((f) => f.name),
    additionalProperties: false,
  };
}

/** A result object: its scalar fields, plus the `nested` object fields (by `$ref`). */
export function outputSchema(
  type: GraphQLObjectType,
  nested: readonly string[],
  ref: (name: string) => SchemaObject,
): SchemaObject {
  const fields = [...leafFields(type), ...nested.map((name) => type.getFields()[name]!)];
  return {
    type: 'object',
    properties: Object.fromEntries(fields.map((f) => [f.name, typeSchema(f.type, ref)])),
    required: fields.filter((f) => isNonNullType(f.type)).map((f) => f.name),
  };
}
