/**
 * Node-side helpers for the macvtap group: staging the links a device plugin would create, and reading
 * back where links and /dev/tapN ended up.
 *
 * Requires root, `--allow-run=ip` and `--allow-read=/dev`.
 *
 * @module
 */
import type { TestNetns } from "../../testing/netns.ts";
import type { CaseContext } from "./cases.ts";
import { compareVersions } from "./profile.ts";
import type { Attachment, Sandbox } from "./sandbox.ts";
import { tempLinkName } from "../../daemon/macvtap/temp_link_name.ts";

/** Versions the macvtap group runs at: the oldest and newest we speak, where the profile has them. */
export function macvtapVersions(profile: { versions: readonly string[] }): readonly string[] {
  return ["0.3.1", "1.1.0"].filter((v) => profile.versions.includes(v));
}

/** Same, limited to versions with CHECK. */
export function macvtapCheckVersions(profile: { versions: readonly string[] }): readonly string[] {
  return ["0.4.0", "1.1.0"].filter((v) => profile.versions.includes(v) && compareVersions(v, "0.4.0") >= 0);
}

/** Creates a macvtap named `name` on the node's lower link, as Allocate would; returns its ifindex. */
export function stageMacvtap(sandbox: Sandbox, name: string): Promise<number> {
  return sandbox.node.node.addMacvtap(name, sandbox.node.lower);
}

/** An attachment whose node link the case staged itself under `linkName`, configured with `deviceID`. */
export async function stagedAttachment(
  ctx: CaseContext,
  deviceID: string,
  linkName = tempLinkName(deviceID),
): Promise<{ sandbox: Sandbox; attachment: Attachment; ifindex: number }> {
  const sandbox = await ctx.sandbox();
  const ifindex = await stageMacvtap(sandbox, linkName);
  const attachment = await sandbox.attachment({ prepare: false });
  attachment.config = { deviceID };
  return { sandbox, attachment, ifindex };
}

/** The node-side temp link name of a prepared attachment. */
export function tempNameOf(attachment: Attachment): string {
  return tempLinkName(String(attachment.config.deviceID));
}

/** Names of the links in `netns` other than lo. */
export async function linkNames(netns: TestNetns): Promise<string[]> {
  return (await netns.links()).map((l) => l.ifname).filter((name) => name !== "lo");
}

/** Owner of /dev/tap<ifindex>, or null when the node does not exist. */
export function tapOwner(ifindex: number): { uid: number | null; gid: number | null } | null {
  try {
    const info = Deno.statSync(`/dev/tap${ifindex}`);
    return { uid: info.uid, gid: info.gid };
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
}
