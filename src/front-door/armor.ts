import { costLimitPlugin } from '@escape.tech/graphql-armor-cost-limit';
import { maxAliasesPlugin } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthPlugin } from '@escape.tech/graphql-armor-max-depth';
import { maxTokensPlugin } from '@escape.tech/graphql-armor-max-tokens';
import { GraphQLError, type ValidationContext } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import {
  DEPTH_COST_FACTOR,
  MAX_ALIASES,
  MAX_COST,
  MAX_QUERY_DEPTH,
  MAX_TOKENS,
  OBJECT_COST,
  SCALAR_COST,
} from '../limits.ts';

/**
 * graphql-armor's limits on a document (docs/contract.md, docs/front-door.md), as yoga plugins,
 * so they hold over HTTP and WebSocket alike (graphql-ws goes through yoga's
 * envelop). The token limit counts while parsing (GRAPHQL_PARSE_FAILED); the
 * others are validation rules that report like any invalid document
 * (GRAPHQL_VALIDATION_FAILED) instead of throwing out of validation.
 */
export function armorPlugins(): Plugin[] {
  const report = [
    (context: ValidationContext | null, error: GraphQLError) =>
      context?.reportError(new GraphQLError(error.message.replace(/^Syntax Error: /, ''))),
  ];
  const common = { exposeLimits: true, propagateOnRejection: false, onReject: report };
  return [
    maxTokensPlugin({ n: MAX_TOKENS, exposeLimits: true }),
    maxDepthPlugin({ ...common, n: MAX_QUERY_DEPTH, ignoreIntrospection: true }),
    maxAliasesPlugin({ ...common, n: MAX_ALIASES }),
    costLimitPlugin({
      ...common,
      maxCost: MAX_COST,
      objectCost: OBJECT_COST,
      scalarCost: SCALAR_COST,
      depthCostFactor: DEPTH_COST_FACTOR,
      ignoreIntrospection: true,
    }),
  ] as Plugin[];
}
