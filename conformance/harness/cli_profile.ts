/**
 * The profile of a plugin given on the command line: everything the suite knows about it comes from the
 * plugin itself (its VERSION answer) and from the user's config, node setup command and flags. Rules that
 * need more knowledge than that (CNI_ARGS MAC=, a capability the config does not declare) are "n/a".
 *
 * Requires `--allow-read` (the files), `--allow-run` (the plugin, nsenter, sh) and root for the cases.
 *
 * @module
 */
import { basename, dirname } from "node:path";
import { UsageError } from "./cli_args.ts";
import {
  addVethLower,
  type Deviation,
  type PluginProfile,
  SPEC_VERSIONS,
  versionHasGcStatus,
} from "./profile.ts";
import { rule } from "./rules.ts";
import { PLUGIN_PATH, PLUGIN_TIMEOUT_MS } from "../../testing/plugin_exec.ts";
import { probeVersion, supportedVersionsOf } from "./plugin_version.ts";

/** What the profile is made of (paths absolute, files not yet read). */
export interface CliPluginOptions {
  plugin: string;
  config: string;
  versions?: string[];
  nodeSetup?: string;
  ipam: boolean;
  cniPath?: string;
  deviations?: string;
  /** Where the node setup command runs (the user's directory). */
  cwd: string;
}

/** The profile and what it found out on the way (VERSION's answer, ignored versions). */
export interface CliProfile {
  profile: PluginProfile;
  /** Every version the plugin's VERSION lists (the tested ones may be fewer). */
  supportedVersions: string[];
  notes: string[];
}

const PLACEHOLDER = /\{\{(\w+)\}\}/g;
const PLACEHOLDERS = ["workDir", "attachment"];

/**
 * Reads the config and deviations, asks the plugin's VERSION, and builds the profile.
 * Throws {@link UsageError} for unusable files or flags, Error when the plugin cannot answer VERSION.
 */
export async function loadCliProfile(options: CliPluginOptions): Promise<CliProfile> {
  requireExecutable(options.plugin);
  const config = loadConfig(options.config, basename(options.plugin));
  const knownDeviations = options.deviations ? loadDeviations(options.deviations) : {};
  const answer = await probeVersion(options.plugin, SPEC_VERSIONS.at(-1)!);
  const supported = supportedVersionsOf(answer);
  if (!supported && !options.versions) {
    throw new Error(
      `${options.plugin}: VERSION gave no supportedVersions (exit ${answer.code}, stdout ` +
        `${JSON.stringify(answer.stdout.trim())}); give --versions to test it anyway`,
    );
  }
  const notes: string[] = [];
  const unknown = (supported ?? []).filter((v) => !SPEC_VERSIONS.includes(v));
  if (unknown.length > 0) {
    notes.push(`VERSION lists versions this suite does not know, not tested: ${unknown}`);
  }
  const versions = options.versions ?? SPEC_VERSIONS.filter((v) => supported!.includes(v));
  if (versions.length === 0) throw new UsageError(`${options.plugin}: no spec version left to test`);
  const profile = buildProfile(options, config, versions, supported ?? versions);
  return { profile: { ...profile, knownDeviations }, supportedVersions: supported ?? [], notes };
}

/** The profile: what the config declares decides the optional features, the node setup prepares nodes. */
function buildProfile(
  options: CliPluginOptions,
  config: Record<string, unknown>,
  versions: string[],
  supported: string[],
): PluginProfile {
  const type = basename(options.plugin);
  const capabilities = (config.capabilities ?? {}) as Record<string, unknown>;
  return {
    id: type,
    description: `${options.plugin} with ${options.config}`,
    binDir: dirname(options.plugin),
    cniPath: options.cniPath,
    type,
    versions,
    features: {
      // A plugin that speaks 1.1.0 has GC and STATUS: the spec defines them for that version.
      gcStatus: supported.some(versionHasGcStatus),
      runtimeConfigMac: capabilities.mac === true,
      argsMac: false,
      libcniCapabilities: libcniCapabilities(config),
      ipam: options.ipam,
    },
    knownDeviations: {},
    missing: () => null,
    prepareNode: async (node, workDir) => ({ node, lower: await addVethLower(node), workDir }),
    netconf: (version, ctx) =>
      expand({ cniVersion: version, ...config, type }, { workDir: ctx.workDir }) as Record<string, unknown>,
    prepareAttachment: async (ctx, index) => {
      const values = { workDir: ctx.workDir, attachment: String(index) };
      if (options.nodeSetup) {
        await runNodeSetup(options.nodeSetup, options.cwd, ctx.node.path, values, ctx.lower);
      }
      // Keys holding {{attachment}} differ per attachment: they are merged over netconf's.
      return Object.fromEntries(
        Object.entries(config).filter(([, v]) => JSON.stringify(v).includes("{{attachment}}"))
          .map(([k, v]) => [k, expand(v, values)]),
      );
    },
  };
}

/** Capabilities the config declares that the libcni case has values for: a sample MAC, the config's deviceID. */
function libcniCapabilities(config: Record<string, unknown>): string[] {
  const declared = (config.capabilities ?? {}) as Record<string, unknown>;
  const names: string[] = [];
  if (declared.mac === true) names.push("mac");
  if (declared.deviceID === true && config.deviceID !== undefined) names.push("deviceID");
  return names;
}

function requireExecutable(path: string): void {
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(path);
  } catch (error) {
    throw new UsageError(`--plugin ${path}: ${error instanceof Error ? error.message : error}`);
  }
  if (!info.isFile || ((info.mode ?? 0) & 0o111) === 0) {
    throw new UsageError(`--plugin ${path} is not executable`);
  }
}

/** The network config: one plugin's JSON object whose type (if any) names the plugin. */
export function loadConfig(path: string, type: string): Record<string, unknown> {
  const config = readJsonObject(path, "--config");
  if (Array.isArray(config.plugins)) {
    throw new UsageError(`--config ${path} is a conflist: give the config of the one plugin under test`);
  }
  if (config.type !== undefined && config.type !== type) {
    throw new UsageError(
      `--config ${path} has type ${JSON.stringify(config.type)} but the plugin is "${type}": runtimes exec ` +
        `the executable the type names, so they must match`,
    );
  }
  for (const [, name = ""] of JSON.stringify(config).matchAll(PLACEHOLDER)) {
    if (!PLACEHOLDERS.includes(name)) {
      throw new UsageError(`--config ${path}: unknown placeholder {{${name}}} (known: ${PLACEHOLDERS})`);
    }
  }
  // cniVersion is set per tested version, first, as runtimes write it.
  const { cniVersion: _replaced, ...rest } = config;
  return { name: "conformance", ...rest };
}

/** Known deviations: rule id → {reason, versions?}. */
export function loadDeviations(path: string): Record<string, Deviation> {
  const entries = Object.entries(readJsonObject(path, "--deviations"));
  for (const [id, deviation] of entries) {
    try {
      rule(id);
    } catch {
      throw new UsageError(`--deviations ${path}: "${id}" is not a rule id`);
    }
    const d = deviation as Partial<Deviation> | null;
    const versionsOk = d?.versions === undefined ||
      (Array.isArray(d.versions) && d.versions.every((v) => SPEC_VERSIONS.includes(v)));
    if (typeof d?.reason !== "string" || d.reason === "" || !versionsOk) {
      throw new UsageError(
        `--deviations ${path}: "${id}" needs {"reason": "...", "versions"?: ["1.0.0", ...]}`,
      );
    }
  }
  return Object.fromEntries(entries) as Record<string, Deviation>;
}

function readJsonObject(path: string, flag: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Deno.readTextFileSync(path));
  } catch (error) {
    throw new UsageError(`${flag} ${path}: ${error instanceof Error ? error.message : error}`);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new UsageError(`${flag} ${path} does not hold a JSON object`);
  }
  return value as Record<string, unknown>;
}

/** Replaces the placeholders it has values for in every string of `value`. */
export function expand(value: unknown, values: Record<string, string>): unknown {
  if (typeof value === "string") return value.replace(PLACEHOLDER, (whole, name) => values[name] ?? whole);
  if (Array.isArray(value)) return value.map((v) => expand(v, values));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, expand(v, values)]));
  }
  return value;
}

/** Runs the node setup command in the node netns; throws with its output when it fails. */
async function runNodeSetup(
  command: string,
  cwd: string,
  nodePath: string,
  values: { attachment: string; workDir: string },
  lower: string,
): Promise<void> {
  const out = await new Deno.Command("/usr/bin/nsenter", {
    args: [`--net=${nodePath}`, "--", "/bin/sh", "-c", command],
    cwd,
    clearEnv: true,
    env: {
      PATH: PLUGIN_PATH,
      CNI_CONFORMANCE_ATTACHMENT: values.attachment,
      CNI_CONFORMANCE_WORKDIR: values.workDir,
      CNI_CONFORMANCE_LOWER: lower,
    },
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(PLUGIN_TIMEOUT_MS),
  }).output();
  if (!out.success) {
    const text = new TextDecoder().decode(out.stderr).trim() || new TextDecoder().decode(out.stdout).trim();
    throw new Error(`--node-setup failed for attachment ${values.attachment} (exit ${out.code}): ${text}`);
  }
}
