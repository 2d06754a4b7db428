/**
 * Looking for what a fault may have left behind: macvtaps (in a netns, or anywhere on the machine through
 * their /dev/tapN), temp links, host-local leases.
 *
 * Requires root, `--allow-run=ip`, `--allow-read` (/dev, the IPAM dataDir).
 *
 * @module
 */
import type { IpLink, TestNetns } from "../../testing/netns.ts";
import { TEMP_LINK_PATTERN } from "../../daemon/macvtap/temp_link_name.ts";

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
  try {
    Deno.statSync(`/dev/tap${ifindex}`);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** The N of every /dev/tapN on the machine. */
export function tapNumbers(): number[] {
  return [...Deno.readDirSync("/dev")]
    .map((e) => /^tap(\d+)$/.exec(e.name))
    .filter((m) => m !== null)
    .map((m) => Number(m![1]));
}

/** host-local's bookkeeping files, which stay after every lease is released. */
const HOST_LOCAL_BOOKKEEPING = /^(lock|last_reserved_ip\.\d+)$/;

/** Lease files (one per address) in host-local's `<dataDir>/<network>`; none when the folder is missing. */
export function leaseFiles(dataDir: string, network: string): string[] {
  try {
    return [...Deno.readDirSync(`${dataDir}/${network}`)]
      .map((e) => e.name)
      .filter((name) => !HOST_LOCAL_BOOKKEEPING.test(name))
      .sort();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
}
