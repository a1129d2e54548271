/**
 * A PostgreSQL snapshot (`pg_current_snapshot()::text`, `xmin:xmax:xip,…`)
 * parsed once, to ask whether a committed transaction's changes were visible
 * in it.
 */
export class XactSnapshot {
  private readonly xmin: bigint;
  private readonly xmax: bigint;
  private readonly inProgress: ReadonlySet<bigint>;

  constructor(text: string) {
    const [xmin, xmax, xip = ''] = text.split(':');
    if (xmin === undefined || xmax === undefined) throw new Error(`Not a snapshot: ${text}`);
    this.xmin = BigInt(xmin);
    this.xmax = BigInt(xmax);
    this.inProgress = new Set(xip === '' ? [] : xip.split(',').map((x) => BigInt(x)));
  }

  /**
   * Whether the (committed) transaction `xid` had committed when the snapshot
   * was taken, i.e. whatever it wrote is in what was read under it.
   */
  sees(xid: string): boolean {
    const x = BigInt(xid);
    if (x < this.xmin) return true;
    if (x >= this.xmax) return false;
    return !this.inProgress.has(x);
  }
}
