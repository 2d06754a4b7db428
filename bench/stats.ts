/**
 * Summaries for benchmark samples: percentiles and spread, never a lone mean.
 *
 * @module
 */

/** p50/p95/min/max of a sample set, in the samples' unit, rounded to 0.01. */
export interface Summary {
  n: number;
  p50: number;
  p95: number;
  min: number;
  max: number;
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/** Summarizes samples (any order). */
export function summarize(samples: number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const round = (x: number) => Math.round(x * 100) / 100;
  return {
    n: sorted.length,
    p50: round(percentile(sorted, 50)),
    p95: round(percentile(sorted, 95)),
    min: round(sorted[0] ?? NaN),
    max: round(sorted.at(-1) ?? NaN),
  };
}

/** "12.3 ms (p95 15.1, 11.9–17.0, n=30)". */
export function describe(summary: Summary, unit = "ms"): string {
  return `${summary.p50} ${unit} (p95 ${summary.p95}, ${summary.min}–${summary.max}, n=${summary.n})`;
}

/** Milliseconds taken by `fn`. */
export async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}
