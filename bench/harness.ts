/**
 * The benchmark contract. Each `bench/*.bench.ts` default-exports a
 * Benchmark; `npm run bench [-- ID …]` runs them (all, or those named),
 * prints one table and writes the JSON to bench/results/.
 *
 * Every benchmark measures its baseline in the same run (these machines are
 * noisy) and reports the ratio next to its goal.
 */
export interface BenchContext {
  /** A PostgreSQL server URL whose database the benchmark may create databases on. */
  adminUrl: string;
  /** Creates a fresh, migrated database and returns its URL (dropped after the run). */
  createDatabase(): Promise<string>;
  log(line: string): void;
}

export interface Measurement {
  /** Metric name, e.g. "median ms" or "lines/s". */
  name: string;
  value: number;
  unit: string;
}

export interface BenchResult {
  measurements: Measurement[];
  /** The same-run baseline the goal is relative to. */
  baseline: Measurement;
  /** ours / baseline (or baseline / ours for throughput: say which in `goal`). */
  ratio: number;
  /** The goal in words, e.g. "≤ bare + 100 ms". */
  goal: string;
  met: boolean;
  notes?: string[];
}

export interface Benchmark {
  id: string;
  title: string;
  run(ctx: BenchContext): Promise<BenchResult>;
}
