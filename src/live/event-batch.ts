/**
 * Several subscription events handed over in one iterator step. A live
 * subscriber with many entries waiting takes them all at once instead of
 * paying for a trip through every iterator layer (hub, GraphQL, envelop,
 * graphql-ws) per entry; each event is still executed and sent on its own
 * (see shared-execution.ts and graphql-ws-server.ts).
 */
export class EventBatch<T> {
  constructor(readonly events: readonly T[]) {}
}

/**
 * The results of an EventBatch as one step of a subscription's result
 * stream, for a transport that sends each as its own message (graphql-ws
 * here). It has no `errors`: a batch with an error in it is never made, its
 * results go one by one so every plugin sees each.
 */
export class BatchedResults {
  constructor(readonly results: readonly object[]) {}
}
