import type { Queryable } from '../../core/sql/queryable.ts';
import { workloadPage } from '../../core/sql/workload-page.ts';
import type { WorkloadRow } from '../../core/sql/workload-row.ts';
import type { WorkloadStage } from '../../core/stages.ts';
import { badInput } from '../errors.ts';
import { isUuid, parsePageSize, WORKLOADS_DEFAULT_PAGE, WORKLOADS_MAX_PAGE } from '../validation/input.ts';

/**
 * A Relay connection of workloads, newest first. A cursor is the opaque
 * base64url of `<createdAt ISO>|<id>` of a row; the SQL (core/sql/workload-page.ts)
 * continues strictly after it.
 */
export interface WorkloadPageArgs {
  deploymentId?: string | null;
  stage?: WorkloadStage | null;
  first?: number | null;
  after?: string | null;
}

export interface WorkloadConnectionPage {
  edges: { cursor: string; node: WorkloadRow }[];
  pageInfo: {
    hasNextPage: boolean;
    hasPreviousPage: boolean;
    startCursor: string | null;
    endCursor: string | null;
  };
}

export function encodeCursor(row: Pick<WorkloadRow, 'createdAt' | 'id'>): string {
  return Buffer.from(`${row.createdAt.toISOString()}|${row.id}`).toString('base64url');
}

function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  const [iso, id, ...rest] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const createdAt = new Date(iso ?? '');
  // Both parts go to PostgreSQL (uuid, timestamptz): only exactly what encodeCursor writes may reach it,
  // anything else would fail there as an internal error.
  const wellFormed =
    rest.length === 0 &&
    id !== undefined &&
    isUuid(id) &&
    !Number.isNaN(createdAt.getTime()) &&
    createdAt.toISOString() === iso;
  if (!wellFormed) {
    throw badInput(
      'after is not a cursor this API returned: pass an edge cursor or pageInfo.endCursor',
      'after',
    );
  }
  return { createdAt, id };
}

export async function workloadConnection(
  db: Queryable,
  args: WorkloadPageArgs,
): Promise<WorkloadConnectionPage> {
  const first = parsePageSize(args.first, WORKLOADS_DEFAULT_PAGE, WORKLOADS_MAX_PAGE);
  const after = args.after ? decodeCursor(args.after) : null;
  const rows = await workloadPage(db, {
    deploymentId: args.deploymentId ?? null,
    stage: args.stage ?? null,
    after,
    limit: first + 1,
  });
  const edges = rows.slice(0, first).map((node) => ({ cursor: encodeCursor(node), node }));
  return {
    edges,
    pageInfo: {
      hasNextPage: rows.length > first,
      hasPreviousPage: after !== null,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}
