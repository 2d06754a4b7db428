import assert from "node:assert/strict";
import { describe, percentile, summarize } from "./stats.ts";

Deno.test("percentile uses nearest rank", () => {
  const sorted = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  assert.equal(percentile(sorted, 50), 5);
  assert.equal(percentile(sorted, 95), 10);
  assert.equal(percentile(sorted, 0), 1);
  assert.ok(Number.isNaN(percentile([], 50)));
});

Deno.test("summarize sorts and rounds; describe prints spread", () => {
  const s = summarize([3.333, 1, 2]);
  assert.deepEqual(s, { n: 3, p50: 2, p95: 3.33, min: 1, max: 3.33 });
  assert.equal(describe(s), "2 ms (p95 3.33, 1–3.33, n=3)");
});
