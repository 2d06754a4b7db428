/**
 * Per-rule results and the table printed at the end of a run.
 *
 * `deno test` runs every test file in its own isolate of one process, so results cannot live in a module
 * variable: each case appends a JSON line to a file named after the process id, and the last test file
 * (zz_report_test.ts) reads it, prints the table and removes it.
 *
 * Requires `--allow-read`, `--allow-write` and `--allow-env` (TMPDIR).
 *
 * @module
 */
import { type Rule, type RuleGroup, RULES } from "./rules.ts";

/** What one case found for one rule, profile and version. */
export type Outcome = "pass" | "fail" | "deviation" | "n/a";

/** One line of the results file. */
export interface RuleResult {
  rule: string;
  profile: string;
  /** A spec version, or "any" for cases that do not depend on it. */
  version: string;
  outcome: Outcome;
  /** The test name that produced it. */
  testName: string;
  /** Failure message (the whole exchange), deviation reason or why it does not apply. */
  detail?: string;
  /** How long the case took, sandbox included. */
  durationMs?: number;
}

/** The results file of this test process. */
export function resultsPath(pid = Deno.pid): string {
  const dir = Deno.env.get("TMPDIR") ?? "/tmp";
  return `${dir}/cni-conformance-${pid}.jsonl`;
}

/** Appends one result (synchronously, so nothing is lost when the isolate ends). */
export function recordResult(result: RuleResult): void {
  Deno.writeTextFileSync(resultsPath(), JSON.stringify(result) + "\n", { append: true });
}

/** Every result recorded so far by this process. */
export function readResults(path = resultsPath()): RuleResult[] {
  let text = "";
  try {
    text = Deno.readTextFileSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
  return text.split("\n").filter((line) => line.trim() !== "").map((line) => JSON.parse(line) as RuleResult);
}

const CELL: Record<Outcome, string> = { pass: "pass", fail: "FAIL", deviation: "dev", "n/a": "n/a" };
const SEVERITY: Outcome[] = ["fail", "deviation", "pass", "n/a"];
const TITLE_WIDTH = 50;

/** Several results for one (rule, profile, version) fold into the worst one. */
export function foldOutcomes(outcomes: Outcome[]): Outcome {
  return SEVERITY.find((o) => outcomes.includes(o)) ?? "n/a";
}

/** The whole report: one table per group and profile, then failures and known deviations. */
export function renderReport(results: RuleResult[], rules: readonly Rule[] = RULES): string {
  if (results.length === 0) return "CNI conformance: no results were recorded (no conformance case ran).";
  const lines: string[] = ["CNI conformance report (rules: conformance/harness/rules.ts)", ""];
  const groups: RuleGroup[] = ["generic", "macvtap", "libcni"];
  for (const group of groups) {
    const groupRules = rules.filter((r) => r.group === group);
    for (const profile of unique(results.map((r) => r.profile))) {
      const mine = results.filter((r) => r.profile === profile && groupRules.some((g) => g.id === r.rule));
      if (mine.length > 0) lines.push(...renderTable(group, profile, groupRules, mine), "");
    }
  }
  lines.push(...renderNotes(results, rules), summaryLine(results));
  return lines.join("\n");
}

function renderTable(group: RuleGroup, profile: string, rules: Rule[], results: RuleResult[]): string[] {
  const versions = unique(results.map((r) => r.version)).sort(compareVersionColumns);
  const header = `${"rule".padEnd(22)} ${"level".padEnd(10)} ${"description".padEnd(TITLE_WIDTH)} ` +
    versions.map((v) => v.padEnd(6)).join(" ");
  const rows = rules.filter((rule) => results.some((r) => r.rule === rule.id)).map((rule) => {
    const cells = versions.map((version) => {
      const outcomes = results.filter((r) => r.rule === rule.id && r.version === version).map((r) =>
        r.outcome
      );
      return (outcomes.length === 0 ? "·" : CELL[foldOutcomes(outcomes)]).padEnd(6);
    });
    return `${rule.id.padEnd(22)} ${rule.level.padEnd(10)} ${fit(rule.title, TITLE_WIDTH)} ${
      cells.join(" ")
    }`;
  });
  return [`== ${group} rules — profile ${profile}`, header, "-".repeat(header.length), ...rows];
}

function renderNotes(results: RuleResult[], rules: readonly Rule[]): string[] {
  const lines: string[] = [];
  const failures = results.filter((r) => r.outcome === "fail");
  if (failures.length > 0) {
    lines.push("Failures:");
    for (const f of failures) {
      lines.push(`  ${f.testName}: ${firstLine(f.detail)}`);
    }
    lines.push("", "Where the failed rules are written:");
    for (const id of unique(failures.map((f) => f.rule))) {
      lines.push(`  ${id}: ${rules.find((r) => r.id === id)?.source ?? "(unknown rule)"}`);
    }
    lines.push("");
  }
  const deviations = new Map<string, string>();
  for (const r of results.filter((r) => r.outcome === "deviation")) {
    deviations.set(`${r.rule} [${r.profile}]`, r.detail ?? "");
  }
  if (deviations.size > 0) {
    lines.push("Known deviations (the plugin breaks the rule; listed in its profile or deviations file):");
    for (const [key, reason] of deviations) lines.push(`  ${key}: ${reason}`);
    lines.push("");
  }
  return lines;
}

function summaryLine(results: RuleResult[]): string {
  const count = (o: Outcome) => results.filter((r) => r.outcome === o).length;
  return `conformance checks: ${count("pass")} pass, ${count("fail")} fail, ${count("deviation")} known ` +
    `deviation, ${count("n/a")} n/a (legend: dev = known deviation, n/a = feature absent, · = not run)`;
}

/** Orders version columns: oldest first, "any" last. */
export function compareVersionColumns(a: string, b: string): number {
  if (a === "any" || b === "any") return a === b ? 0 : a === "any" ? 1 : -1;
  const pa = a.split(".").map(Number);
  const pb = b.split(".").map(Number);
  for (let i = 0; i < 3; i++) if (pa[i] !== pb[i]) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return 0;
}

/** The values without repeats, in first-seen order. */
export function unique<T>(values: T[]): T[] {
  return [...new Set(values)];
}

function fit(text: string, width: number): string {
  return text.length > width ? `${text.slice(0, width - 1)}…` : text.padEnd(width);
}

function firstLine(text = ""): string {
  const line = text.split("\n")[0] ?? "";
  return line.length > 240 ? `${line.slice(0, 239)}…` : line;
}
