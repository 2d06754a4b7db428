// Runs last (test files run in name order): prints the per-rule table of this run, then checks that no
// netns of this run was left behind (sandboxes name theirs mvtest-conf<pid>-…, so a concurrent run of the
// suite by someone else is not mistaken for a leak). Run a subset with it to get that subset's table:
//   deno test -A conformance/del_test.ts conformance/zz_report_test.ts
import assert from "node:assert/strict";
import { ip } from "../testing/netns.ts";
import { readResults, renderReport, resultsPath } from "./harness/report.ts";
import { JUNIT_ENV, REPORT_ENV, writeReportFiles } from "./harness/report_files.ts";
import { PROFILES } from "./profiles/mod.ts";
import { rootTest } from "../testing/root_gate.ts";

/** When the results file was created: when the first case of this run finished (now, without results). */
function firstResultTime(): Date {
  try {
    return Deno.statSync(resultsPath()).birthtime ?? new Date();
  } catch {
    return new Date();
  }
}

Deno.test("conformance report: per-rule table, and the report files `deno task conformance` asked for", async () => {
  const results = readResults();
  console.log(`\n${renderReport(results)}\n`);
  const paths = { report: Deno.env.get(REPORT_ENV), junit: Deno.env.get(JUNIT_ENV) };
  const plugins = PROFILES.map((p) => ({ profile: p.id, description: p.description, versions: p.versions }));
  const startedAt = firstResultTime();
  const meta = { plugins, startedAt, durationMs: Date.now() - startedAt.getTime() };
  for (const path of await writeReportFiles(results, meta, paths)) console.log(`report: ${path}`);
  try {
    Deno.removeSync(resultsPath());
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
});

rootTest(
  "conformance report: no conformance netns left behind",
  async () => {
    const leftovers = (await ip("netns", "list")).split("\n").map((l) => l.split(" ")[0])
      .filter((name) => name!.startsWith(`mvtest-conf${Deno.pid}-`));
    assert.deepEqual(leftovers, [], "netns left by conformance cases");
  },
);
