/**
 * Conformance cases: what one case is ({@link CaseSpec}), how it runs against one profile at one spec
 * version ({@link executeCase}), and its registration as Deno tests ({@link registerCases}), one test per
 * (rule, profile, version), named `<rule> [<profile> <version>] <what>`.
 *
 * The case modules (conformance/cases/) only define cases; the `*_test.ts` files register them for the
 * built-in profiles and the command line (main.ts) runs them in-process for any plugin.
 *
 * A case whose rule is in the profile's `knownDeviations` still runs: it passes as "deviation" while the
 * plugin breaks the rule and fails once the plugin conforms (so the list is corrected). A case can declare
 * itself not applicable with {@link notApplicable}. When the profile's binary is missing every case fails
 * with the profile's message (e.g. "run `deno task build`"), never silently skipped.
 *
 * @module
 */
import { isRoot, NEEDS_ROOT } from "../../testing/netns.ts";
import { deviationOf, type PluginProfile } from "./profile.ts";
import { recordResult, type RuleResult } from "./report.ts";
import { rule as findRule } from "./rules.ts";
import { Sandbox } from "./sandbox.ts";

/** What a case body gets. */
export interface CaseContext {
  profile: PluginProfile;
  /** The spec version under test ("any" cases get the profile's newest). */
  version: string;
  /** A node sandbox for this case, created on first use and disposed after the case. */
  sandbox(): Promise<Sandbox>;
}

/** A case definition. */
export interface CaseSpec {
  /** Rule id from rules.ts. */
  rule: string;
  /** What this case does, for the test name. */
  name: string;
  /** Versions to run for a profile; default all of them. Return ["any"] for version-independent cases. */
  versions?: (profile: PluginProfile) => readonly string[];
  /** Set false for cases that touch no namespace (default true: gated on root). */
  needsRoot?: boolean;
  fn: (ctx: CaseContext) => Promise<void>;
}

/** Thrown by {@link notApplicable}; caught by {@link executeCase}. */
class NotApplicable extends Error {}

/** Ends a case as "n/a" (the plugin lacks the feature the rule is about). */
export function notApplicable(reason: string): never {
  throw new NotApplicable(reason);
}

/** The versions `spec` runs at for `profile`. */
export function caseVersions(spec: CaseSpec, profile: PluginProfile): readonly string[] {
  return spec.versions?.(profile) ?? profile.versions;
}

/** The test name of one run of a case. */
export function caseName(spec: CaseSpec, profile: PluginProfile, version: string): string {
  return `${spec.rule} [${profile.id} ${version}] ${spec.name}`;
}

/** What one run of a case found; `failure` is what a test should throw (null when it must not fail). */
export interface CaseRun {
  result: RuleResult;
  failure: unknown;
}

/**
 * Runs one case against `profile` at `version` (never throws: a failure is returned).
 *
 * Requires what the profile and the case need: root, `--allow-run`, `--allow-read`, `--allow-write`.
 */
export async function executeCase(spec: CaseSpec, profile: PluginProfile, version: string): Promise<CaseRun> {
  findRule(spec.rule);
  const started = performance.now();
  const base = { rule: spec.rule, profile: profile.id, version, testName: caseName(spec, profile, version) };
  const finish = (outcome: RuleResult["outcome"], detail: string | undefined, failure: unknown = null) => ({
    result: { ...base, outcome, detail, durationMs: Math.round(performance.now() - started) },
    failure,
  });
  const missing = profile.missing();
  if (missing) return finish("fail", missing, new Error(missing));
  let failure: unknown = null;
  try {
    await withSandbox(profile, version, spec.fn);
  } catch (error) {
    if (error instanceof NotApplicable) return finish("n/a", error.message);
    failure = error;
  }
  const deviation = deviationOf(profile, spec.rule, version);
  if (!deviation) return finish(failure === null ? "pass" : "fail", messageOf(failure), failure);
  if (failure !== null) return finish("deviation", `${deviation.reason} (observed: ${firstLine(failure)})`);
  const stale =
    `known deviation of ${profile.id} no longer reproduces; remove "${spec.rule}" from its known deviations`;
  return finish("fail", stale, new Error(stale));
}

/** Registers one Deno test per (case, profile, version); each records its result for the report. */
export function registerCases(specs: readonly CaseSpec[], profiles: readonly PluginProfile[]): void {
  for (const spec of specs) {
    findRule(spec.rule);
    for (const profile of profiles) {
      for (const version of caseVersions(spec, profile)) {
        const testName = caseName(spec, profile, version);
        const gated = (spec.needsRoot ?? true) && !isRoot;
        Deno.test({
          name: gated ? `${testName} (${NEEDS_ROOT})` : testName,
          ignore: gated,
          fn: async () => {
            const { result, failure } = await executeCase(spec, profile, version);
            recordResult(result);
            if (failure !== null) throw failure;
          },
        });
      }
    }
  }
}

function messageOf(failure: unknown): string | undefined {
  if (failure === null) return undefined;
  return String(failure instanceof Error ? failure.message : failure);
}

function firstLine(failure: unknown): string {
  return (messageOf(failure) ?? "").split("\n")[0] ?? "";
}

async function withSandbox(
  profile: PluginProfile,
  version: string,
  fn: (ctx: CaseContext) => Promise<void>,
): Promise<void> {
  let sandbox: Sandbox | null = null;
  const effectiveVersion = version === "any" ? profile.versions.at(-1) ?? version : version;
  try {
    await fn({
      profile,
      version: effectiveVersion,
      sandbox: async () => sandbox ??= await Sandbox.create(profile),
    });
  } finally {
    await (sandbox as Sandbox | null)?.[Symbol.asyncDispose]();
  }
}

/** Version list for cases that do not depend on the spec version: they run once, at the newest. */
export const ANY_VERSION = (): readonly string[] => ["any"];
