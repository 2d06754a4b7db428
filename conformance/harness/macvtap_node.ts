/**
 * Node-side helpers for the macvtap group: staging the links a device plugin would create. (Where links
 * and /dev/tapN ended up: testing/pod_view.ts.)
 *
 * Requires root and `--allow-run=ip`.
 *
 * @module
 */
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
