/**
 * Steps several cases share: an ADD that must succeed, the prevResult a runtime would send afterwards, and
 * the kernel's view of the pod link.
 *
 * @module
 */
import type { IpLink, TestNetns } from "../../testing/netns.ts";
import { type CaseContext, notApplicable } from "./cases.ts";
import {
  type CniErrorJson,
  type CniResult,
  ensure,
  expectResult,
  podInterface,
} from "../../testing/expect.ts";
import { cniPathOf, type PluginProfile, versionHasCheck, versionHasInterfaces } from "./profile.ts";
import type { PluginRun } from "../../testing/plugin_exec.ts";
import type { Attachment, RunOptions, Sandbox } from "./sandbox.ts";

/** A successful ADD and everything needed to continue the attachment's life. */
export interface Added {
  sandbox: Sandbox;
  attachment: Attachment;
  run: PluginRun;
  result: CniResult;
  /**
   * The MAC of the interfaces[] entry for CNI_IFNAME (sandbox and mac already checked); undefined below
   * 0.3.0, whose results have no interfaces list.
   */
  mac?: string;
}

/** Creates a sandbox (if needed) and an attachment, runs ADD and requires a Result in the case's version. */
export async function addAttachment(ctx: CaseContext, options: RunOptions = {}): Promise<Added> {
  const sandbox = await ctx.sandbox();
  const attachment = await sandbox.attachment();
  const run = await sandbox.add(attachment, ctx.version, options);
  const result = expectAddResult(run, ctx.version);
  if (!versionHasInterfaces(ctx.version)) return { sandbox, attachment, run, result };
  const entry = podInterface(result, attachment.ifname, attachment.pod.path, run);
  return { sandbox, attachment, run, result, mac: entry.mac! };
}

/**
 * The result of a successful ADD in `version`. Below 0.3.0 a plugin may refuse ADD with code 1 (a result
 * it cannot express in the ip4/ip6 format, e.g. no IP) while still accepting the version for DEL: the
 * case then ends as n/a, and DEL-accepted-versions still holds the plugin to DEL.
 */
export function expectAddResult(run: PluginRun, version: string): CniResult {
  const error = run.json as CniErrorJson | null;
  if (!versionHasInterfaces(version) && run.code !== 0 && error?.code === 1) {
    notApplicable(`ADD at ${version} refused with code 1 (${error.msg}): no result in the ${version} format`);
  }
  return expectResult(run, version);
}

/**
 * Addresses are what the rule is about: none in the result is "n/a" unless the profile's config delegates
 * to IPAM, where a result without them is a failure.
 */
export function requireIps(ctx: CaseContext, count: number, run: PluginRun): void {
  if (count > 0) return;
  ensure(!ctx.profile.features.ipam, "the config delegates to IPAM but the result assigns no address", run);
  notApplicable("the result assigns no address to CNI_IFNAME (the config has no IPAM)");
}

/** Ends the case as n/a below 0.3.0: `what` needs the interfaces list of 0.3.0+ results. */
export function requireInterfacesList(version: string, what: string): void {
  if (!versionHasInterfaces(version)) notApplicable(`${version} results have no interfaces list (${what})`);
}

/** What a libcni runtime sends as prevResult on DEL: the cached ADD result from 0.4.0 on, nothing before. */
export function prevResultForDel(version: string, result: CniResult): CniResult | undefined {
  return versionHasCheck(version) ? result : undefined;
}

/** The pod link named `ifname`, required to exist. */
export async function requireLink(pod: TestNetns, ifname: string, run?: PluginRun): Promise<IpLink> {
  const link = await pod.link(ifname);
  ensure(link, `no link "${ifname}" in ${pod.name}`, run);
  return link;
}

/**
 * One whole attachment life (ADD, DEL) on the case's node, so what a plugin shares between attachments
 * (a bridge) exists before a case compares the node's links.
 */
export async function warmUp(ctx: CaseContext): Promise<Sandbox> {
  const { sandbox, attachment, result } = await addAttachment(ctx);
  const run = await sandbox.del(attachment, ctx.version, prevResultForDel(ctx.version, result));
  ensure(run.code === 0, `DEL of the first attachment: expected exit 0, got ${run.code}`, run);
  return sandbox;
}

/** Names of the node's links. */
export async function nodeLinkNames(sandbox: Sandbox): Promise<string[]> {
  return (await sandbox.node.node.links()).map((l) => l.ifname);
}

/** Names of the links in a pod other than lo. */
export async function otherPodLinks(pod: TestNetns): Promise<string[]> {
  return (await pod.links()).map((l) => l.ifname).filter((name) => name !== "lo");
}

/** The environment libcni (1.2+) sets for GC and STATUS: attachment variables present but empty. */
export function runtimeEnv(command: "GC" | "STATUS", profile: PluginProfile): Record<string, string> {
  return {
    CNI_COMMAND: command,
    CNI_CONTAINERID: "",
    CNI_NETNS: "",
    CNI_IFNAME: "",
    CNI_ARGS: "",
    CNI_PATH: cniPathOf(profile),
  };
}

/**
 * GC as libcni sends it: `configOf`'s config plus the valid-attachments list (and the misspelled
 * cni.dev/attachments that libcni also injects, containernetworking/cni#1101).
 */
export function gc(
  sandbox: Sandbox,
  version: string,
  configOf: Attachment,
  valid: Attachment[],
): Promise<PluginRun> {
  const list = valid.map((a) => ({ containerID: a.containerId, ifname: a.ifname }));
  const stdin = sandbox.config(version, configOf, {
    "cni.dev/valid-attachments": list,
    "cni.dev/attachments": list,
  });
  return sandbox.exec(runtimeEnv("GC", sandbox.profile), JSON.stringify(stdin));
}
