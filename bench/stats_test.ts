import assert from "node:assert/strict";
import { describe, describeRatio, percentile, ratio, summarize } from "./stats.ts";

Deno.test("percentile uses nearest rank", () => {
  const sorted = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  assert.equal(percentile(sorted, 50), 5);
  assert.equal(percentile(sorted, 95), 10);
  assert.equal(percentile(sorted, 10), 1);
  assert.equal(percentile(sorted, 90), 9);
  assert.equal(percentile(sorted, 0), 1);
  assert.ok(Number.isNaN(percentile([], 50)));
});

Deno.test("summarize sorts and rounds; describe prints the median and p10–p90", () => {
  const s = summarize([3.333, 1, 2]);
  assert.deepEqual(s, { n: 3, p50: 2, p10: 1, p25: 1, p75: 3.33, p90: 3.33, p95: 3.33, min: 1, max: 3.33 });
  assert.equal(describe(s), "2 ms (p10–p90 1–3.33, n=3)");
  assert.equal(describe(s, "KiB"), "2 KiB (p10–p90 1–3.33, n=3)");
});

Deno.test("ratio: medians' ratio, and the spread of paired ratios when the samples pair up", () => {
  const r = ratio([2, 4, 6], [1, 4, 2]);
  assert.equal(r.ofMedians, 2);
  assert.deepEqual(r.paired && [r.paired.p10, r.paired.p50, r.paired.p90], [1, 2, 3]);
  assert.equal(describeRatio(r), "2× (pairs p10–p90 1–3)");
  const unpaired = ratio([3, 3], [1, 1, 2]);
  assert.equal(unpaired.paired, undefined);
  assert.equal(describeRatio(unpaired), "3×");
});
