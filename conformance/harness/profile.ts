/**
 * A profile describes one plugin under test: where its binary is, which spec versions it speaks, how to
 * write its config, and what the node needs before an attachment (a lower link, or the macvtap that a
 * device plugin's Allocate would have created). The generic cases only talk to plugins through a profile,
 * so pointing the suite at another plugin means writing one profile (see conformance/README.md).
 *
 * @module
 */
import type { TestNetns } from "../../testing/netns.ts";

/** Optional behaviours; cases for a missing feature are reported "n/a", not failed. */
export interface ProfileFeatures {
  /** Implements GC and STATUS (spec 1.1.0). */
  gcStatus: boolean;
  /** Honours runtimeConfig.mac when capabilities.mac is declared. */
  runtimeConfigMac: boolean;
  /** Honours CNI_ARGS MAC=. */
  argsMac: boolean;
  /** Capability names the libcni interop case passes as capability args, with sample values. */
  libcniCapabilities: readonly string[];
  /**
   * The config delegates to IPAM, so an ADD result must carry ips: rules about addresses then fail on a
   * result without them instead of being "n/a".
   */
  ipam: boolean;
}

/** Why a plugin breaks a rule, and at which versions (all when omitted). */
export interface Deviation {
  reason: string;
  versions?: readonly string[];
}

/** The deviation of `profile` from `ruleId` at `version`, if it has one. */
export function deviationOf(profile: PluginProfile, ruleId: string, version: string): Deviation | undefined {
  const deviation = profile.knownDeviations[ruleId];
  if (!deviation) return undefined;
  return !deviation.versions || deviation.versions.includes(version) ? deviation : undefined;
}

/** What a profile set up on a node netns. */
export interface NodeContext {
  /** The throwaway netns playing the runtime's (host) namespace. */
  node: TestNetns;
  /** Name of the lower link in the node (macvlan master, macvtap lower). */
  lower: string;
  /** A temp dir for plugin state (e.g. host-local's dataDir), removed with the node. */
  workDir: string;
}

/** A plugin under test. */
export interface PluginProfile {
  /** Short id used in test names and the table, e.g. "debian-macvlan". */
  id: string;
  /** One line for the README and the table header. */
  description: string;
  /** The directory holding the plugin; also CNI_PATH unless {@link cniPath} is set. */
  binDir: string;
  /** CNI_PATH for the plugin (directories joined by ":"), when delegates live elsewhere; default binDir. */
  cniPath?: string;
  /** The plugin's file name in binDir (the config's "type"). */
  type: string;
  /** Spec versions the suite exercises (each one must be in the plugin's VERSION answer). */
  versions: readonly string[];
  features: ProfileFeatures;
  /**
   * Rules this plugin is known to break (by rule id). Such cases are still run: they pass as "deviation"
   * while the plugin breaks the rule, and fail once it no longer does (so the list stays true).
   */
  knownDeviations: Readonly<Record<string, Deviation>>;
  /** Null when the plugin can be run, else what is missing and how to get it. */
  missing(): string | null;
  /** Creates what every attachment on this node needs (the lower link, a state dir). */
  prepareNode(node: TestNetns, workDir: string): Promise<NodeContext>;
  /** The plugin config for `version` (name, type, cniVersion and the plugin's own keys). */
  netconf(version: string, node: NodeContext): Record<string, unknown>;
  /**
   * Per-attachment preparation on the node; returns keys to merge into that attachment's config
   * (e.g. the deviceID of the macvtap it created).
   */
  prepareAttachment(node: NodeContext, index: number): Promise<Record<string, unknown>>;
}

/** CNI_PATH of the profile's plugin. */
export function cniPathOf(profile: PluginProfile): string {
  return profile.cniPath ?? profile.binDir;
}

/** Every spec version the suite knows, oldest first. */
export const SPEC_VERSIONS: readonly string[] = [
  "0.1.0",
  "0.2.0",
  "0.3.0",
  "0.3.1",
  "0.4.0",
  "1.0.0",
  "1.1.0",
];

/** Results carry interfaces[] and ips[] from SPEC 0.3.0 on (0.1.0/0.2.0 results have ip4/ip6). */
export function versionHasInterfaces(version: string): boolean {
  return compareVersions(version, "0.3.0") >= 0;
}

/** Versions below which CHECK does not exist (SPEC 0.4.0 introduced it). */
export function versionHasCheck(version: string): boolean {
  return compareVersions(version, "0.4.0") >= 0;
}

/** GC and STATUS exist from SPEC 1.1.0. */
export function versionHasGcStatus(version: string): boolean {
  return compareVersions(version, "1.1.0") >= 0;
}

/** ips[].version is part of the 0.3.x and 0.4.0 result formats only. */
export function versionHasIpVersion(version: string): boolean {
  return compareVersions(version, "0.3.0") >= 0 && compareVersions(version, "1.0.0") < 0;
}

/** Numeric comparison of dotted versions: negative, 0 or positive. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(".").map(Number);
  const pb = b.split(".").map(Number);
  for (let i = 0; i < 3; i++) {
    const diff = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}

/** Name of the veth that profiles use as the lower link, and of its peer (both in the node). */
export const LOWER_LINK = "lower0";
const LOWER_PEER = "lower0p";

/** Creates the veth lower link in the node netns, both ends up (MTU 1500). */
export async function addVethLower(node: TestNetns): Promise<string> {
  await node.addVeth(LOWER_LINK, LOWER_PEER);
  return LOWER_LINK;
}
