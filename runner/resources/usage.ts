/**
 * What a running service has used, as counters read at one instant: CPU
 * time since it started (cumulative), memory and processes now. A sampler
 * turns two readings into a CPU percentage (sampler.ts).
 */
export interface UsageReading {
  /** Cumulative CPU time of the workload, in seconds. */
  cpuSeconds: number;
  memoryBytes: number;
  pids: number;
  /** performance.now() when read. */
  at: number;
}
