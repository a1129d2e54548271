export * from './client.ts';
export * from './follow-logs.ts';
export * from './generated/graphql.ts';
