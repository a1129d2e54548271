import { createHash } from 'node:crypto';
import type { Config } from '../../core/config.ts';

/** The uid/gid services run as (docs/containment.md): never root, never the runner's. */
export interface ServiceIdentity {
  uid: number;
  gid: number;
}

export const SERVICE_ID_RANGE = { from: 200_000, to: 265_535 } as const;

/**
 * `AGENTFORGE_SERVICE_UID`/`GID` when set; otherwise one uid of
 * 200000–265535 per deployment (from a hash of its id), the gid equal to
 * it, so two deployments' services seldom share one and never share the
 * runner's.
 */
export function serviceIdentity(config: Pick<Config, 'serviceUid' | 'serviceGid'>, deploymentId: string) {
  if (config.serviceUid !== undefined) {
    return { uid: config.serviceUid, gid: config.serviceGid ?? config.serviceUid };
  }
  const span = SERVICE_ID_RANGE.to - SERVICE_ID_RANGE.from + 1;
  const id =
    SERVICE_ID_RANGE.from + (createHash('sha256').update(deploymentId).digest().readUInt32BE(0) % span);
  return { uid: id, gid: id };
}
