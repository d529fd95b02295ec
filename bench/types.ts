/** One figure a benchmark reports; bench/run.ts writes them into the README. */
export interface BenchResult {
  readonly name: string;
  /** The figure for dynconf. */
  readonly measured: number;
  /** The same figure for the baseline, measured in the same run. */
  readonly baseline?: number;
  /** measured / baseline (or as the benchmark defines it); targets are stated on this. */
  readonly ratio?: number;
  readonly unit: string;
  /** e.g. "ratio <= 5". */
  readonly target?: string;
  readonly notes?: string;
}
