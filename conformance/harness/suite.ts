/**
 * Runs conformance cases in-process, one after the other, for the command line: the same cases and the
 * same {@link executeCase} the Deno tests use, without `deno test` around them.
 *
 * Requires root, `--allow-run`, `--allow-read`, `--allow-write`, `--allow-env`.
 *
 * @module
 */
import { type CaseSpec, caseVersions, executeCase } from "./cases.ts";
import type { PluginProfile } from "./profile.ts";
import type { RuleResult } from "./report.ts";
import { RULES } from "./rules.ts";
import { UsageError } from "./cli_args.ts";

/** Keeps the cases whose rule matches one of `patterns` (an id, or a prefix ending in *). */
export function selectCases(cases: readonly CaseSpec[], patterns?: readonly string[]): CaseSpec[] {
  if (!patterns) return [...cases];
  const matches = (id: string, pattern: string) =>
    pattern.endsWith("*") ? id.startsWith(pattern.slice(0, -1)) : id === pattern;
  for (const pattern of patterns) {
    if (!cases.some((c) => matches(c.rule, pattern))) {
      const known = RULES.some((r) => matches(r.id, pattern));
      throw new UsageError(
        `--rules: "${pattern}" ${known ? "is not checked for this plugin" : "matches no rule"}`,
      );
    }
  }
  return cases.filter((c) => patterns.some((p) => matches(c.rule, p)));
}

/** How many case runs `cases` make for `profile`. */
export function countRuns(cases: readonly CaseSpec[], profile: PluginProfile): number {
  return cases.reduce((sum, c) => sum + caseVersions(c, profile).length, 0);
}

/**
 * Runs every case at each of its versions for `profile`; `onResult` sees each result as it comes.
 *
 * @returns the results in run order
 */
export async function runSuite(
  cases: readonly CaseSpec[],
  profile: PluginProfile,
  onResult: (result: RuleResult, index: number) => void = () => {},
): Promise<RuleResult[]> {
  const results: RuleResult[] = [];
  for (const spec of cases) {
    for (const version of caseVersions(spec, profile)) {
      const { result } = await executeCase(spec, profile, version);
      results.push(result);
      onResult(result, results.length);
    }
  }
  return results;
}
