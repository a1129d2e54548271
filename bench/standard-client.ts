import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { parse } from 'graphql';
import { createSdk } from '../sdk/index.ts';

/**
 * A standard graphql-ws client (graphql-ws's createClient over `ws`, through
 * the SDK) following a workload's log with the selection users make,
 * `{ seq level message }`, per entry (workloadLogs) or per batch
 * (workloadLogBatches).
 */

export type Subscription = 'workloadLogs' | 'workloadLogBatches';

interface Entry {
  seq: number;
  level: string;
  message: string;
}

const documents = {
  workloadLogs: parse(
    'subscription ($id: ID!, $after: Int) { workloadLogs(workloadId: $id, after: $after) { seq level message } }',
  ) as TypedDocumentNode<{ workloadLogs: Entry }, { id: string; after: number | null }>,
  workloadLogBatches: parse(
    'subscription ($id: ID!, $after: Int) { workloadLogBatches(workloadId: $id, after: $after) { seq level message } }',
  ) as TypedDocumentNode<{ workloadLogBatches: Entry[] }, { id: string; after: number | null }>,
};

/**
 * Subscribes with a client (and WebSocket) of its own; `onEntry` gets every
 * entry in order. Resolves when the server completes the subscription.
 */
export async function followWith(
  subscription: Subscription,
  url: string,
  token: string,
  workloadId: string,
  onEntry: (seq: number, message: string) => void,
  after: number | null = null,
): Promise<void> {
  const sdk = createSdk({ url, token });
  try {
    if (subscription === 'workloadLogs') {
      await sdk.subscribe(documents.workloadLogs, { id: workloadId, after }, ({ workloadLogs: e }) =>
        onEntry(e.seq, e.message),
      );
    } else {
      await sdk.subscribe(
        documents.workloadLogBatches,
        { id: workloadId, after },
        ({ workloadLogBatches }) => {
          for (const e of workloadLogBatches) onEntry(e.seq, e.message);
        },
      );
    }
  } finally {
    await sdk.close();
  }
}
