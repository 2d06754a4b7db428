/**
 * Summaries for benchmark samples: percentiles and spread, never a lone mean; ratios to a yardstick
 * measured in the same run, with the spread of the paired ratios.
 *
 * @module
 */

/** Percentiles of a sample set, in the samples' unit, rounded to 0.01. */
export interface Summary {
  n: number;
  p50: number;
  p10: number;
  p25: number;
  p75: number;
  p90: number;
  p95: number;
  min: number;
  max: number;
}

/** A figure over its yardstick: the ratio of the medians, and the spread of per-pair ratios. */
export interface Ratio {
  /** p50(figure) / p50(yardstick). */
  ofMedians: number;
  /** Ratios of samples taken back to back (figure[i] / yardstick[i]): noise hits both sides of a pair. */
  paired?: Summary;
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

/** Rounds to 0.01. */
export function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

/** Summarizes samples (any order). */
export function summarize(samples: number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (p: number) => round2(percentile(sorted, p));
  return {
    n: sorted.length,
    p50: at(50),
    p10: at(10),
    p25: at(25),
    p75: at(75),
    p90: at(90),
    p95: at(95),
    min: round2(sorted[0] ?? NaN),
    max: round2(sorted.at(-1) ?? NaN),
  };
}

/**
 * `figure` over `yardstick`: medians' ratio, plus the paired ratios' spread when both hold the same number
 * of samples taken in pairs.
 */
export function ratio(figure: number[], yardstick: number[]): Ratio {
  const ofMedians = round2(summarize(figure).p50 / summarize(yardstick).p50);
  if (figure.length !== yardstick.length) return { ofMedians };
  return { ofMedians, paired: summarize(figure.map((value, i) => value / yardstick[i]!)) };
}

/** "12.3 ms (p10–p90 11.9–17.0, n=30)". */
export function describe(summary: Summary, unit = "ms"): string {
  return `${summary.p50} ${unit} (p10–p90 ${summary.p10}–${summary.p90}, n=${summary.n})`;
}

/** "1.05× (pairs p10–p90 0.98–1.12)". */
export function describeRatio(r: Ratio): string {
  return r.paired ? `${r.ofMedians}× (pairs p10–p90 ${r.paired.p10}–${r.paired.p90})` : `${r.ofMedians}×`;
}

/** Milliseconds taken by `fn`. */
export async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}
