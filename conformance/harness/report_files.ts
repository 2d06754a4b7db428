/**
 * Machine-readable reports: the results folded into one cell per (profile, rule, version), written as a
 * JSON report and as JUnit XML (one testcase per rule × version, one testsuite per profile × version).
 *
 * Requires `--allow-write` of the report paths.
 *
 * @module
 */
import { compareVersionColumns, foldOutcomes, type Outcome, type RuleResult, unique } from "./report.ts";
import { type Rule, RULES } from "./rules.ts";

/** Where the built-in run (`deno test`) writes the JSON report and the JUnit XML, when set. */
export const REPORT_ENV = "CNI_CONFORMANCE_REPORT";
export const JUNIT_ENV = "CNI_CONFORMANCE_JUNIT";

/** One rule at one version for one profile: every case of it folded into the worst outcome. */
export interface RuleCell {
  id: string;
  title: string;
  level: Rule["level"];
  group: Rule["group"];
  /** Where the rule is written, with the quote. */
  source: string;
  profile: string;
  /** A spec version, or "any" for rules checked once. */
  version: string;
  outcome: Outcome;
  /** First line of the first failure (for a deviation: of what was observed); null otherwise. */
  firstFailure: string | null;
  /** The whole failure, the deviation's reason or why it does not apply. */
  detail: string | null;
  durationMs: number;
  cases: { name: string; outcome: Outcome; detail: string | null }[];
}

/** The cells, in rule order, then profile, then version. */
export function ruleCells(results: readonly RuleResult[], rules: readonly Rule[] = RULES): RuleCell[] {
  const cells: RuleCell[] = [];
  for (const rule of rules) {
    const mine = results.filter((r) => r.rule === rule.id);
    for (const profile of unique(mine.map((r) => r.profile))) {
      const versions = unique(mine.filter((r) => r.profile === profile).map((r) => r.version));
      for (const version of versions.sort(compareVersionColumns)) {
        cells.push(cellOf(rule, mine.filter((r) => r.profile === profile && r.version === version)));
      }
    }
  }
  return cells;
}

function cellOf(rule: Rule, results: RuleResult[]): RuleCell {
  const outcome = foldOutcomes(results.map((r) => r.outcome));
  const worst = results.find((r) => r.outcome === outcome)!;
  const failed = outcome === "fail" || outcome === "deviation";
  const observed = outcome === "deviation"
    ? /\(observed: (.*)\)$/.exec(worst.detail ?? "")?.[1]
    : worst.detail;
  return {
    id: rule.id,
    title: rule.title,
    level: rule.level,
    group: rule.group,
    source: rule.source,
    profile: worst.profile,
    version: worst.version,
    outcome,
    firstFailure: failed ? (observed ?? "").split("\n")[0] ?? "" : null,
    detail: worst.detail ?? null,
    durationMs: results.reduce((sum, r) => sum + (r.durationMs ?? 0), 0),
    cases: results.map((r) => ({ name: r.testName, outcome: r.outcome, detail: r.detail ?? null })),
  };
}

/** Counts of cells per outcome. */
export function summarize(cells: readonly RuleCell[]): Record<Outcome, number> {
  const counts: Record<Outcome, number> = { pass: 0, fail: 0, deviation: 0, "n/a": 0 };
  for (const cell of cells) counts[cell.outcome]++;
  return counts;
}

/** What the JSON report says about the run besides the cells. */
export interface ReportMeta {
  /** One entry per profile run: id, what it is, the versions tested. */
  plugins: { profile: string; description: string; versions: readonly string[] }[];
  startedAt: Date;
  durationMs: number;
}

/** The JSON report. */
export function jsonReport(cells: readonly RuleCell[], meta: ReportMeta): string {
  const report = {
    format: "cni-conformance-report/1",
    startedAt: meta.startedAt.toISOString(),
    durationMs: Math.round(meta.durationMs),
    plugins: meta.plugins,
    summary: summarize(cells),
    rules: cells,
  };
  return JSON.stringify(report, null, 2) + "\n";
}

/** JUnit XML: testsuites > testsuite (profile × version) > testcase (rule), failures and skips. */
export function junitXml(cells: readonly RuleCell[], meta: ReportMeta): string {
  const suites = unique(cells.map((c) => `${c.profile}\u0000${c.version}`)).map((key) => {
    const [profile = "", version = ""] = key.split("\u0000");
    return { profile, version, cells: cells.filter((c) => c.profile === profile && c.version === version) };
  });
  const total = summarize(cells);
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="CNI conformance" tests="${cells.length}" failures="${total.fail}" errors="0" ` +
    `skipped="${total.deviation + total["n/a"]}" time="${seconds(meta.durationMs)}">`,
  ];
  for (const suite of suites) {
    lines.push(...junitSuite(suite.profile, suite.version, suite.cells, meta.startedAt));
  }
  lines.push("</testsuites>", "");
  return lines.join("\n");
}

function junitSuite(profile: string, version: string, cells: RuleCell[], startedAt: Date): string[] {
  const counts = summarize(cells);
  const time = cells.reduce((sum, c) => sum + c.durationMs, 0);
  const name = version === "any" ? `${profile} (version-independent rules)` : `${profile} spec ${version}`;
  const classname = `cni-conformance.${profile.replaceAll(".", "_")}.${
    version === "any" ? "any" : `v${version.replaceAll(".", "_")}`
  }`;
  const lines = [
    `  <testsuite name="${xmlAttr(name)}" tests="${cells.length}" failures="${counts.fail}" errors="0" ` +
    `skipped="${counts.deviation + counts["n/a"]}" time="${seconds(time)}" ` +
    `timestamp="${startedAt.toISOString().slice(0, 19)}">`,
  ];
  for (const cell of cells) {
    const open =
      `    <testcase name="${xmlAttr(`${cell.id}: ${cell.title}`)}" classname="${xmlAttr(classname)}" ` +
      `time="${seconds(cell.durationMs)}"`;
    const body = junitOutcome(cell);
    lines.push(body ? `${open}>\n${body}\n    </testcase>` : `${open}/>`);
  }
  lines.push("  </testsuite>");
  return lines;
}

function junitOutcome(cell: RuleCell): string | null {
  switch (cell.outcome) {
    case "pass":
      return null;
    case "fail":
      return `      <failure message="${xmlAttr(cell.firstFailure ?? "")}" type="${cell.level}">${
        xmlText(`${cell.detail ?? ""}\n\nRule ${cell.id} (${cell.level}): ${cell.source}`)
      }</failure>`;
    case "deviation":
      return `      <skipped message="${xmlAttr(`known deviation: ${cell.detail ?? ""}`)}"/>`;
    case "n/a":
      return `      <skipped message="${xmlAttr(`not applicable: ${cell.detail ?? ""}`)}"/>`;
  }
}

/**
 * Escapes text for an XML 1.0 attribute (line breaks and tabs as character references, which attribute
 * normalisation would otherwise turn into spaces). Characters XML 1.0 cannot carry at all (most C0
 * controls, e.g. the ESC of colour codes in a plugin's stderr, and lone surrogates) become \u{…}.
 */
export function xmlAttr(text: string): string {
  return xmlText(text).replace(/"/g, "&quot;").replace(/\n/g, "&#10;").replace(/\r/g, "&#13;")
    .replace(/\t/g, "&#9;");
}

// deno-lint-ignore no-control-regex
const NOT_XML = /[\u{0}-\u{8}\u{b}\u{c}\u{e}-\u{1f}\u{fffe}\u{ffff}\u{d800}-\u{dfff}]/gu;

/** Escapes text for XML 1.0 element content (see {@link xmlAttr}). */
export function xmlText(text: string): string {
  const escaped = text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  return escaped.replace(NOT_XML, (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`);
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

/** Writes the JSON report and the JUnit XML to the paths given; returns the paths written. */
export async function writeReportFiles(
  results: readonly RuleResult[],
  meta: ReportMeta,
  paths: { report?: string; junit?: string },
): Promise<string[]> {
  const cells = ruleCells(results);
  const written: string[] = [];
  if (paths.report) {
    await Deno.writeTextFile(paths.report, jsonReport(cells, meta));
    written.push(paths.report);
  }
  if (paths.junit) {
    await Deno.writeTextFile(paths.junit, junitXml(cells, meta));
    written.push(paths.junit);
  }
  return written;
}
