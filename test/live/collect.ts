import type { Sdk } from '../../sdk/index.ts';
import { WorkloadLogsStreamDocument } from '../../sdk/index.ts';

export interface Collected {
  seqs: number[];
  messages: string[];
  /** Resolves when the server completes the subscription, rejects on its error. */
  done: Promise<void>;
  /** Resolves once `count` entries arrived. */
  reached(count: number): Promise<void>;
}

/** Follows workloadLogs over graphql-ws, keeping every seq and message received. */
export function collectLogs(sdk: Sdk, workloadId: string, after: number | null = null): Collected {
  const seqs: number[] = [];
  const messages: string[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  const done = sdk.subscribe(WorkloadLogsStreamDocument, { workloadId, after }, ({ workloadLogs }) => {
    seqs.push(workloadLogs.seq);
    messages.push(workloadLogs.message);
    for (const w of waiters) if (seqs.length >= w.count) w.resolve();
  });
  done.catch(() => {});
  return {
    seqs,
    messages,
    done,
    reached: (count) =>
      new Promise<void>((resolve, reject) => {
        if (seqs.length >= count) resolve();
        else waiters.push({ count, resolve });
        done.then(() => reject(new Error(`completed after ${seqs.length} entries, before ${count}`)), reject);
      }),
  };
}

export const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
