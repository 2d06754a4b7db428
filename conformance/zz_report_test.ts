// Runs last (test files run in name order): prints the per-rule table of this run, then checks that no
// netns of this run was left behind (sandboxes name theirs mvtest-conf<pid>-…, so a concurrent run of the
// suite by someone else is not mistaken for a leak). Run a subset with it to get that subset's table:
//   deno test -A conformance/del_test.ts conformance/zz_report_test.ts
import assert from "node:assert/strict";
import { ip, isRoot } from "../testing/netns.ts";
import { readResults, renderReport, resultsPath } from "./harness/report.ts";

Deno.test("conformance report: per-rule table", () => {
  console.log(`\n${renderReport(readResults())}\n`);
  try {
    Deno.removeSync(resultsPath());
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
});

Deno.test({
  name: "conformance report: no conformance netns left behind",
  ignore: !isRoot,
  fn: async () => {
    const leftovers = (await ip("netns", "list")).split("\n").map((l) => l.split(" ")[0])
      .filter((name) => name.startsWith(`mvtest-conf${Deno.pid}-`));
    assert.deepEqual(leftovers, [], "netns left by conformance cases");
  },
});
