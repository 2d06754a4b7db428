/**
 * Registers conformance cases as Deno tests: one test per (rule, profile, version), named
 * `<rule> [<profile> <version>] <what>`, each recording its outcome for the report.
 *
 * A case whose rule is in the profile's `knownDeviations` still runs: it passes as "deviation" while the
 * plugin breaks the rule and fails once the plugin conforms (so the profile is corrected). A case can
 * declare itself not applicable with {@link notApplicable}. When the profile's binary is missing every case
 * fails with the profile's message (e.g. "run `deno task build`"), never silently skipped.
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
  profiles: readonly PluginProfile[];
  /** Versions to run for a profile; default all of them. Return ["any"] for version-independent cases. */
  versions?: (profile: PluginProfile) => readonly string[];
  /** Set false for cases that touch no namespace (default true: gated on root). */
  needsRoot?: boolean;
  fn: (ctx: CaseContext) => Promise<void>;
}

/** Thrown by {@link notApplicable}; caught by the case wrapper. */
class NotApplicable extends Error {}

/** Ends a case as "n/a" (the plugin lacks the feature the rule is about). */
export function notApplicable(reason: string): never {
  throw new NotApplicable(reason);
}

/** Registers the Deno tests for one case. */
export function conformanceCase(spec: CaseSpec): void {
  findRule(spec.rule);
  for (const profile of spec.profiles) {
    for (const version of spec.versions?.(profile) ?? profile.versions) {
      const testName = `${spec.rule} [${profile.id} ${version}] ${spec.name}`;
      Deno.test({
        name: (spec.needsRoot ?? true) && !isRoot ? `${testName} (${NEEDS_ROOT})` : testName,
        ignore: (spec.needsRoot ?? true) && !isRoot,
        fn: () => runCase(spec, profile, version, testName),
      });
    }
  }
}

async function runCase(
  spec: CaseSpec,
  profile: PluginProfile,
  version: string,
  testName: string,
): Promise<void> {
  const base = { rule: spec.rule, profile: profile.id, version, testName };
  const missing = profile.missing();
  if (missing) {
    recordResult({ ...base, outcome: "fail", detail: missing });
    throw new Error(missing);
  }
  let failure: unknown = null;
  try {
    await withSandbox(profile, version, spec.fn);
  } catch (error) {
    if (error instanceof NotApplicable) {
      return recordResult({ ...base, outcome: "n/a", detail: error.message });
    }
    failure = error;
  }
  const deviation = deviationOf(profile, spec.rule, version);
  if (deviation) return settleDeviation(base, deviation.reason, failure);
  recordResult({ ...base, outcome: failure === null ? "pass" : "fail", detail: firstLine(failure) });
  if (failure !== null) throw failure;
}

/** A known deviation must still reproduce: then the case passes as "deviation", else it fails. */
function settleDeviation(base: Omit<RuleResult, "outcome">, reason: string, failure: unknown): void {
  if (failure !== null) {
    recordResult({ ...base, outcome: "deviation", detail: `${reason} (observed: ${firstLine(failure)})` });
    return;
  }
  const stale =
    `known deviation of ${base.profile} no longer reproduces; remove "${base.rule}" from its profile`;
  recordResult({ ...base, outcome: "fail", detail: stale });
  throw new Error(stale);
}

function firstLine(failure: unknown): string | undefined {
  if (failure === null) return undefined;
  return String(failure instanceof Error ? failure.message : failure).split("\n")[0];
}

async function withSandbox(
  profile: PluginProfile,
  version: string,
  fn: (ctx: CaseContext) => Promise<void>,
): Promise<void> {
  let sandbox: Sandbox | null = null;
  const effectiveVersion = version === "any" ? profile.versions[profile.versions.length - 1] : version;
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
