/**
 * Steps several cases share: an ADD that must succeed, the prevResult a runtime would send afterwards, and
 * the kernel's view of the pod link.
 *
 * @module
 */
import type { IpLink, TestNetns } from "../../testing/netns.ts";
import type { CaseContext } from "./cases.ts";
import { type CniResult, ensure, expectResult, podInterface } from "./expect.ts";
import { cniPathOf, type PluginProfile, versionHasCheck } from "./profile.ts";
import type { PluginRun } from "./runner.ts";
import type { Attachment, RunOptions, Sandbox } from "./sandbox.ts";

/** A successful ADD and everything needed to continue the attachment's life. */
export interface Added {
  sandbox: Sandbox;
  attachment: Attachment;
  run: PluginRun;
  result: CniResult;
  /** The interfaces[] entry for CNI_IFNAME (sandbox and mac already checked). */
  mac: string;
}

/** Creates a sandbox (if needed) and an attachment, runs ADD and requires a Result in the case's version. */
export async function addAttachment(ctx: CaseContext, options: RunOptions = {}): Promise<Added> {
  const sandbox = await ctx.sandbox();
  const attachment = await sandbox.attachment();
  const run = await sandbox.add(attachment, ctx.version, options);
  const result = expectResult(run, ctx.version);
  const entry = podInterface(result, attachment.ifname, attachment.pod.path, run);
  return { sandbox, attachment, run, result, mac: entry.mac! };
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
