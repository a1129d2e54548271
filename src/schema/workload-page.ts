import type { Queryable } from '../../core/sql/queryable.ts';
import { toWorkloadRow, type WorkloadRow } from '../../core/sql/workload-row.ts';
import type { WorkloadStage } from '../../core/stages.ts';
import { badInput } from '../errors.ts';
import { isUuid, parsePageSize, WORKLOADS_DEFAULT_PAGE, WORKLOADS_MAX_PAGE } from '../validation/input.ts';

/**
 * Keyset pagination over workloads, newest first. A cursor is the opaque
 * base64url of `<createdAt ISO>|<id>`; the next page is everything strictly
 * after it in (created_at desc, id desc) order, so pages never shift when new
 * workloads arrive.
 */
export interface WorkloadPageArgs {
  deploymentId?: string | null;
  stage?: WorkloadStage | null;
  first?: number | null;
  after?: string | null;
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

export async function workloadPage(db: Queryable, args: WorkloadPageArgs) {
  const first = parsePageSize(args.first, WORKLOADS_DEFAULT_PAGE, WORKLOADS_MAX_PAGE);
  const cursor = args.after ? decodeCursor(args.after) : null;
  const { rows } = await db.query(
    `select * from "workload"
      where ($1::uuid is null or "deployment_id" = $1)
        and ($2::text is null or "stage" = $2)
        and ($3::timestamptz is null or ("created_at", "id") < ($3, $4::uuid))
      order by "created_at" desc, "id" desc
      limit $5`,
    [args.deploymentId ?? null, args.stage ?? null, cursor?.createdAt ?? null, cursor?.id ?? null, first + 1],
  );
  const nodes = rows.slice(0, first).map(toWorkloadRow);
  const edges = nodes.map((node) => ({ cursor: encodeCursor(node), node }));
  return {
    edges,
    pageInfo: {
      hasNextPage: rows.length > first,
      hasPreviousPage: cursor !== null,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}
