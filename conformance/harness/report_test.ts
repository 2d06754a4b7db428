import assert from "node:assert/strict";
import { foldOutcomes, readResults, renderReport, type RuleResult } from "./report.ts";

const result = (
  rule: string,
  version: string,
  outcome: RuleResult["outcome"],
  detail?: string,
): RuleResult => ({
  rule,
  profile: "p",
  version,
  outcome,
  testName: `${rule} [p ${version}] case`,
  detail,
});

Deno.test("report: several results for one cell fold into the worst", () => {
  assert.equal(foldOutcomes(["pass", "fail", "pass"]), "fail");
  assert.equal(foldOutcomes(["pass", "deviation"]), "deviation");
  assert.equal(foldOutcomes(["n/a", "pass"]), "pass");
  assert.equal(foldOutcomes([]), "n/a");
});

Deno.test("report: table cells, failures with their rule source, deviations, summary", () => {
  const text = renderReport([
    result("DEL-twice", "0.4.0", "pass"),
    result("DEL-twice", "1.0.0", "fail", "second DEL: expected exit 0, got 1\n  more"),
    result("VERSION-echo", "0.4.0", "deviation", "answers 1.0.0"),
    result("ADD-ips-version", "any", "n/a", "no ips"),
  ]);
  assert.match(text, /== generic rules — profile p/);
  assert.match(text, /DEL-twice\s+MUST\s+.*pass\s+FAIL/);
  assert.match(text, /VERSION-echo\s+MUST\s+.*dev/);
  assert.match(text, /DEL-twice \[p 1\.0\.0\] case: second DEL: expected exit 0, got 1$/m);
  assert.match(text, /DEL-twice: SPEC 1\.0\.0 §2 DEL/);
  assert.match(text, /VERSION-echo \[p\]: answers 1\.0\.0/);
  assert.match(text, /1 pass, 1 fail, 1 known deviation, 1 n\/a/);
});

Deno.test("report: results survive across isolates through the per-process file", () => {
  const path = Deno.makeTempFileSync();
  Deno.writeTextFileSync(path, JSON.stringify(result("DEL-twice", "0.4.0", "pass")) + "\n");
  assert.deepEqual(readResults(path).map((r) => r.outcome), ["pass"]);
  Deno.removeSync(path);
  assert.deepEqual(readResults(path), []);
});
