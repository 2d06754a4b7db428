/**
 * The command line of `deno task conformance` (conformance/main.ts): parsing and validation only, so
 * every mistake becomes a {@link UsageError} (exit status 2) before anything runs.
 *
 * Relative paths are resolved against the directory the user ran the command from: `deno task` changes
 * into the repository, and tells the task where it was started in INIT_CWD.
 *
 * @module
 */
import { isAbsolute, resolve } from "node:path";
import { SPEC_VERSIONS } from "./profile.ts";

/** A mistake on the command line; main.ts prints it with the usage and exits 2. */
export class UsageError extends Error {}

/** What the command line asked for. */
export interface CliOptions {
  /** Absolute path of the plugin under test; absent = the built-in profiles (deno test). */
  plugin?: string;
  /** Absolute path of the network config file. */
  config?: string;
  /** Spec versions to test, oldest first; absent = what the plugin's VERSION lists. */
  versions?: string[];
  /** Shell command run in the node netns before each attachment a case prepares. */
  nodeSetup?: string;
  /** The config delegates to IPAM: results must assign addresses. */
  ipam: boolean;
  /** CNI_PATH for the plugin (absolute directories joined by ":"); default the plugin's directory. */
  cniPath?: string;
  /** Absolute path of a JSON file of known deviations. */
  deviations?: string;
  /** Rule ids to run (an id ending in * is a prefix); absent = all. */
  rules?: string[];
  /** Where to write the JSON report and the JUnit XML. */
  report?: string;
  junit?: string;
  help: boolean;
}

/** The usage text. */
export const USAGE =
  `usage: deno task conformance [--plugin PATH --config FILE [options]] [--report FILE.json] [--junit FILE.xml]

Without --plugin: runs the suite's built-in profiles (Debian macvlan and this project's macvtap).

  --plugin PATH        the CNI plugin executable to test (needs root: every case runs in throwaway netns)
  --config FILE        the network config it is tested with (one plugin's JSON; cniVersion is replaced per
                       tested version; "{{workDir}}" in a string becomes a per-case temp dir, "{{attachment}}"
                       the attachment's number within the case)
  --versions LIST      spec versions to test, e.g. 0.4.0,1.0.0,1.1.0 (default: those the plugin's VERSION lists)
  --node-setup CMD     sh command run in the throwaway node netns before each attachment, with
                       CNI_CONFORMANCE_ATTACHMENT, CNI_CONFORMANCE_WORKDIR and CNI_CONFORMANCE_LOWER set
                       (every node netns has a veth "lower0", up, for plugins that need a master link)
  --ipam               the config delegates to IPAM: an ADD result without addresses fails
  --cni-path DIRS      CNI_PATH for the plugin (default: the plugin's directory)
  --deviations FILE    known deviations: {"RULE-ID": {"reason": "...", "versions": ["0.4.0"]}}
  --rules LIST         only these rules (ADD-link,DEL-* ...)
  --report FILE.json   per rule x version: id, title, source quote, outcome, first failure line
  --junit FILE.xml     one testcase per rule x version

Exit status: 0 every applicable rule passes, 1 a rule fails, 2 usage error.`;

const VALUE_FLAGS = [
  "plugin",
  "config",
  "versions",
  "node-setup",
  "cni-path",
  "deviations",
  "rules",
  "report",
  "junit",
] as const;
type ValueFlag = typeof VALUE_FLAGS[number];

/** Parses `args`; throws {@link UsageError} on any mistake. */
export function parseArgs(args: readonly string[], cwd = invocationDir()): CliOptions {
  const values = new Map<ValueFlag, string>();
  const options: CliOptions = { ipam: false, help: false };
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = splitFlag(args[i]!);
    if (flag === "ipam" || flag === "help") {
      if (inline !== undefined) throw new UsageError(`--${flag} takes no value (got "${args[i]}")`);
      options[flag] = true;
      continue;
    }
    if (!(VALUE_FLAGS as readonly string[]).includes(flag)) {
      throw new UsageError(`unknown option "${args[i]}"`);
    }
    const value = inline ?? args[++i];
    if (value === undefined || value === "") throw new UsageError(`--${flag} needs a value`);
    if (values.has(flag as ValueFlag)) throw new UsageError(`--${flag} given twice`);
    values.set(flag as ValueFlag, value);
  }
  return options.help ? options : validate(options, values, cwd);
}

function splitFlag(arg: string): [string, string | undefined] {
  if (!arg.startsWith("--")) throw new UsageError(`unexpected argument "${arg}" (options start with --)`);
  const eq = arg.indexOf("=");
  return eq < 0 ? [arg.slice(2), undefined] : [arg.slice(2, eq), arg.slice(eq + 1)];
}

function validate(options: CliOptions, values: Map<ValueFlag, string>, cwd: string): CliOptions {
  const path = (flag: ValueFlag) => values.has(flag) ? resolve(cwd, values.get(flag)!) : undefined;
  const result: CliOptions = { ...options, report: path("report"), junit: path("junit") };
  if (!values.has("plugin")) {
    const onlyWithPlugin: string[] = [...values.keys()].filter((f) => f !== "report" && f !== "junit");
    if (options.ipam) onlyWithPlugin.push("ipam");
    if (onlyWithPlugin.length > 0) {
      throw new UsageError(`--${onlyWithPlugin[0]} needs --plugin (without it the built-in profiles run)`);
    }
    return result;
  }
  if (!values.has("config")) {
    throw new UsageError("--plugin needs --config FILE (the network config to test with)");
  }
  return {
    ...result,
    plugin: path("plugin"),
    config: path("config"),
    versions: values.has("versions") ? parseVersions(values.get("versions")!) : undefined,
    nodeSetup: values.get("node-setup"),
    cniPath: values.has("cni-path") ? parseCniPath(values.get("cni-path")!, cwd) : undefined,
    deviations: path("deviations"),
    rules: values.has("rules") ? splitList(values.get("rules")!) : undefined,
  };
}

function parseVersions(text: string): string[] {
  const versions = splitList(text);
  for (const version of versions) {
    if (!SPEC_VERSIONS.includes(version)) {
      throw new UsageError(`--versions: "${version}" is not a spec version (${SPEC_VERSIONS.join(", ")})`);
    }
  }
  return SPEC_VERSIONS.filter((v) => versions.includes(v));
}

function parseCniPath(text: string, cwd: string): string {
  return text.split(":").filter(Boolean).map((dir) => isAbsolute(dir) ? dir : resolve(cwd, dir)).join(":");
}

function splitList(text: string): string[] {
  const items = text.split(",").map((s) => s.trim()).filter(Boolean);
  if (items.length === 0) throw new UsageError(`empty list "${text}"`);
  return items;
}

/** Where the user started the command: deno task's INIT_CWD, else the current directory. */
export function invocationDir(): string {
  return Deno.env.get("INIT_CWD") ?? Deno.cwd();
}
