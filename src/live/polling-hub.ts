import { setTimeout as sleep } from 'node:timers/promises';
import type { Database } from '../db/database.ts';
import { readLogs } from '../sql/read-logs.ts';
import { getWorkloadRow } from '../sql/transition.ts';
import { isTerminal } from '../stages.ts';
import type { LiveHub } from './hub.ts';

const POLL_MS = 200;
const PAGE = 1000;

/** A LiveHub that re-reads the tables on an interval. */
export function createPollingHub(db: Database): LiveHub {
  const wait = (signal: AbortSignal) => sleep(POLL_MS, undefined, { signal }).catch(() => undefined);
  return {
    async *workloadUpdates(workloadId, signal) {
      let lastVersion = '';
      while (!signal.aborted) {
        const row = await getWorkloadRow(db.pool, workloadId);
        if (!row) return;
        const version = JSON.stringify(row);
        if (version !== lastVersion) {
          lastVersion = version;
          yield row;
        }
        if (isTerminal(row.stage)) return;
        await wait(signal);
      }
    },
    async *workloadLogs(workloadId, after, signal) {
      let last = after;
      while (!signal.aborted) {
        // Read the stage before the entries: once terminal, every entry is already written.
        const row = await getWorkloadRow(db.pool, workloadId);
        if (!row) return;
        const entries = await readLogs(db.pool, workloadId, { after: last, limit: PAGE });
        for (const entry of entries) {
          last = entry.seq;
          yield entry;
        }
        if (entries.length === PAGE) continue;
        if (isTerminal(row.stage)) return;
        await wait(signal);
      }
    },
    async close() {},
  };
}
