/**
 * `deno task conformance`: the CNI conformance suite from the command line.
 *
 *   deno task conformance --plugin PATH --config FILE [--versions …] [--node-setup CMD] [--ipam]
 *                         [--report FILE.json] [--junit FILE.xml]
 *
 * With --plugin it runs the generic and libcni rules against that plugin, in-process, one case after the
 * other, prints each outcome and the per-rule table, writes the reports and exits 0 (every applicable rule
 * passes), 1 (a rule fails) or 2 (usage error). Without --plugin it prepares this repository (packages,
 * build) and runs the built-in profiles' Deno tests, as `deno test -A conformance/` does.
 *
 * Requires root (throwaway netns) and -A (it runs plugins, ip, nsenter, go, apt-get).
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { deleteNetns, ip, isRoot } from "../testing/netns.ts";
import { ensureDebianPackages } from "../tools/prepare.ts";
import { ANY_PLUGIN_CASES } from "./cases/mod.ts";
import { type CliOptions, invocationDir, parseArgs, USAGE, UsageError } from "./harness/cli_args.ts";
import { type CliProfile, loadCliProfile } from "./harness/cli_profile.ts";
import { renderReport, type RuleResult } from "./harness/report.ts";
import { JUNIT_ENV, REPORT_ENV, type ReportMeta, writeReportFiles } from "./harness/report_files.ts";
import { countRuns, runSuite, selectCases } from "./harness/suite.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
/** What the command line needs on Debian besides the plugin: ip, nsenter, and Go + libcni for the driver. */
const CLI_PACKAGES = ["iproute2", "util-linux", "golang-go", "golang-github-appc-cni-dev"];

/** Runs the command line; returns the exit status. */
export async function main(args: readonly string[]): Promise<number> {
  let options: CliOptions;
  try {
    options = parseArgs(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`conformance: ${error.message}\n\n${USAGE}`);
    return 2;
  }
  if (options.help) {
    console.log(USAGE);
    return 0;
  }
  try {
    return options.plugin ? await testPlugin(options) : await runBuiltInProfiles(options);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`conformance: ${error.message}`);
    return 2;
  }
}

/** The built-in profiles through `deno test`, after tools/prepare.ts has installed and built everything. */
async function runBuiltInProfiles(options: CliOptions): Promise<number> {
  const deno = Deno.execPath();
  const prepare = await new Deno.Command(deno, {
    args: ["run", "-A", "tools/prepare.ts", "test"],
    cwd: ROOT,
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (!prepare.success) return prepare.code;
  const env: Record<string, string> = {};
  if (options.report) env[REPORT_ENV] = options.report;
  if (options.junit) env[JUNIT_ENV] = options.junit;
  const test = await new Deno.Command(deno, {
    args: ["test", "-A", "--no-check=remote", "conformance/"],
    cwd: ROOT,
    env,
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  return test.code;
}

/** The generic and libcni rules against the plugin of --plugin. */
async function testPlugin(options: CliOptions): Promise<number> {
  if (!isRoot) {
    throw new UsageError("testing a plugin needs root: every case runs in throwaway network namespaces");
  }
  await ensureDebianPackages(CLI_PACKAGES);
  let cli: CliProfile;
  try {
    cli = await loadCliProfile({
      ...options,
      plugin: options.plugin!,
      config: options.config!,
      cwd: invocationDir(),
    });
  } catch (error) {
    if (error instanceof UsageError) throw error;
    console.error(`conformance: ${error instanceof Error ? error.message : error}`);
    return 1;
  }
  const { profile } = cli;
  const cases = selectCases(ANY_PLUGIN_CASES, options.rules);
  const total = countRuns(cases, profile);
  for (const note of cli.notes) console.log(`note: ${note}`);
  console.log(`CNI conformance: ${profile.description}`);
  console.log(
    `spec versions: ${profile.versions.join(", ")} (VERSION lists ${cli.supportedVersions.join(", ")})`,
  );
  const rules = new Set(cases.filter((c) => countRuns([c], profile) > 0).map((c) => c.rule));
  console.log(`${total} checks of ${rules.size} rules\n`);
  const startedAt = new Date();
  const results = await runSuite(cases, profile, (result, index) => printResult(result, index, total));
  const meta: ReportMeta = {
    plugins: [{ profile: profile.id, description: profile.description, versions: profile.versions }],
    startedAt,
    durationMs: Date.now() - startedAt.getTime(),
  };
  console.log(`\n${renderReport(results)}\n`);
  for (const path of await writeReportFiles(results, meta, options)) console.log(`report: ${path}`);
  await sweepOwnNetns();
  return results.some((r) => r.outcome === "fail") ? 1 : 0;
}

function printResult(result: RuleResult, index: number, total: number): void {
  const label = { pass: "pass", fail: "FAIL", deviation: "dev ", "n/a": "n/a " }[result.outcome];
  const counter = `[${String(index).padStart(String(total).length)}/${total}]`;
  console.log(`${counter} ${label} ${result.testName} (${result.durationMs} ms)`);
  if (result.outcome !== "pass" && result.detail) {
    const detail = result.outcome === "fail" ? result.detail : result.detail.split("\n")[0] ?? "";
    console.log(detail.split("\n").map((line) => `        ${line}`).join("\n"));
  }
}

/** Removes netns a case of this process failed to remove (a bug of the suite, said on stderr). */
async function sweepOwnNetns(): Promise<void> {
  const mine = (await ip("netns", "list")).split("\n").map((line) => line.split(" ")[0] ?? "")
    .filter((name) => name.startsWith(`mvtest-conf${Deno.pid}-`));
  for (const name of mine) await deleteNetns(name);
  if (mine.length > 0) console.error(`conformance: removed netns the suite left behind: ${mine.join(", ")}`);
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
