/** A running service's resource use at one moment. */
export interface ResourceUsage {
  memoryBytes: number;
  /** CPU time used since the service started (user + system). */
  cpuSeconds: number;
}
