/** Summary statistics of a sample, as trtexec prints them. */
export interface SampleStats {
  readonly count: number;
  readonly min: number;
  readonly mean: number;
  readonly median: number;
  readonly p90: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
  /** Population standard deviation. */
  readonly stdev: number;
  /** Coefficient of variation: stdev ÷ mean (0 for an empty or all-zero sample). */
  readonly cv: number;
}

/**
 * Percentile by nearest rank: the smallest value with at least p% of the sample at or below it
 * (`sorted[ceil(p/100·n) − 1]`), so it is always a value that was measured. `sorted` ascending, non-empty.
 */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

/** Median: the middle value, or the mean of the two middle values of an even-sized sample. */
export function median(sorted: readonly number[]): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const mid = n >> 1;
  return n % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** min/mean/median/p90/p95/p99/max, stdev and CV of `values` (NaN everywhere for an empty sample). */
export function summarize(values: readonly number[]): SampleStats {
  const n = values.length;
  if (n === 0) return { count: 0, min: Number.NaN, mean: Number.NaN, median: Number.NaN, p90: Number.NaN, p95: Number.NaN, p99: Number.NaN, max: Number.NaN, stdev: Number.NaN, cv: Number.NaN };
  const sorted = Float64Array.from(values).sort();
  const list = Array.from(sorted);
  let sum = 0;
  for (const v of list) sum += v;
  const mean = sum / n;
  let sq = 0;
  for (const v of list) sq += (v - mean) ** 2;
  const stdev = Math.sqrt(sq / n);
  return {
    count: n,
    min: list[0]!,
    mean,
    median: median(list),
    p90: percentile(list, 90),
    p95: percentile(list, 95),
    p99: percentile(list, 99),
    max: list[n - 1]!,
    stdev,
    cv: mean !== 0 ? stdev / mean : 0,
  };
}

/** The mean of `values` (NaN when empty). */
export function mean(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}
