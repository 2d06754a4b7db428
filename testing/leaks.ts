/**
 * Looking for what a fault may have left behind: macvtaps (in a netns, or anywhere on the machine through
 * their /dev/tapN), temp links. (host-local's leases: host_local.ts.)
 *
 * Requires root, `--allow-run=ip`, `--allow-read` (/dev, the IPAM dataDir).
 *
 * @module
 */
import type { IpLink, TestNetns } from "./netns.ts";
import { TEMP_LINK_PATTERN } from "../daemon/macvtap/temp_link_name.ts";
import { tapNode } from "./pod_view.ts";

/** Every macvtap in `netns`. */
export async function macvtapsIn(netns: TestNetns): Promise<IpLink[]> {
  return (await netns.links()).filter((l) => l.linkinfo?.info_kind === "macvtap");
}

/** Macvtaps in `netns` named like the device plugin's temp links (`mvt` + 12 hex). */
export async function tempLinksIn(netns: TestNetns): Promise<IpLink[]> {
  return (await macvtapsIn(netns)).filter((l) => TEMP_LINK_PATTERN.test(l.ifname));
}

/**
 * Whether /dev/tap<ifindex> exists. The node is global while links live in namespaces, so this sees a
 * macvtap with that ifindex in ANY netns, also one whose netns has lost its name (deleted while in use).
 */
export function tapExists(ifindex: number): boolean {
  return tapNode(ifindex) !== null;
}

/** The N of every /dev/tapN on the machine. */
export function tapNumbers(): number[] {
  return [...Deno.readDirSync("/dev")]
    .map((e) => /^tap(\d+)$/.exec(e.name))
    .filter((m) => m !== null)
    .map((m) => Number(m![1]));
}
