/**
 * Re-creates the temp links of allocated devices that are gone, at the ifindex the kubelet was told.
 *
 * After a node reboot, or when a pod's sandbox is re-created (the CNI's DEL deleted the macvtap in the old
 * sandbox), the kubelet starts the pod again with the DeviceSpec it cached from Allocate — `/dev/tap<N>` —
 * without calling Allocate. The kernel names a macvtap's character device after its ifindex and accepts a
 * requested ifindex on creation, so a temp link re-created at N makes that DeviceSpec true again, and the
 * CNI's ADD adopts it as on the first start.
 *
 * A device is only re-created when its macvtap exists nowhere: not in the host netns under its temp name,
 * and not in a pod (the broker's listPeerMacvtaps: a macvtap at ifindex N on the same lower in a netns the
 * host moved a link into). Re-creating while the pod's macvtap lives would make a second one.
 *
 * @module
 */
import type { Link, NodeLinks, PeerMacvtap } from "../links/node_links.ts";
import { type Logger, silentLogger } from "../log.ts";
import type { AllocationRecord } from "./allocation_checkpoint.ts";
import type { LinkTable } from "../resources/link_table.ts";
import { tempLinkName } from "./temp_link_name.ts";

/** What the restorer needs. */
export interface RestoreContext {
  nodeLinks: NodeLinks;
  links: LinkTable;
  /** Creates the record's temp link at its ifindex (through its pool, queued with Allocate). */
  restore: (record: AllocationRecord) => Promise<number>;
  log?: Logger;
}

/** What one pass did. */
export interface RestoreOutcome {
  restored: AllocationRecord[];
  failed: AllocationRecord[];
}

/**
 * Re-creates the temp link of every record in `candidates` whose macvtap exists nowhere.
 *
 * @param tempLinks the host's temp links now (listTempLinks)
 * @throws {import("../links/node_links.ts").NodeLinkError} when the pods' macvtaps cannot be listed
 */
export async function restoreMissingLinks(
  context: RestoreContext,
  candidates: AllocationRecord[],
  tempLinks: Link[],
): Promise<RestoreOutcome> {
  const present = new Set(tempLinks.map((link) => link.name));
  const missing = candidates.filter((record) => !present.has(tempLinkName(record.deviceId)));
  const outcome: RestoreOutcome = { restored: [], failed: [] };
  if (missing.length === 0) return outcome;
  const inPods = await context.nodeLinks.listPeerMacvtaps();
  for (const record of missing) {
    const lower = context.links.get(record.lower);
    if (!lower || isInPod(record, lower, inPods)) continue;
    if (await restoreOne(context, record)) outcome.restored.push(record);
    else outcome.failed.push(record);
  }
  return outcome;
}

/** True when a pod holds the record's macvtap: same ifindex (the CNI keeps it), same lower. */
function isInPod(record: AllocationRecord, lower: Link, inPods: PeerMacvtap[]): boolean {
  return inPods.some((peer) => peer.ifindex === record.ifindex && peer.lowerIfindex === lower.ifindex);
}

async function restoreOne(context: RestoreContext, record: AllocationRecord): Promise<boolean> {
  const log = context.log ?? silentLogger;
  const fields = {
    device: record.deviceId,
    resource: record.resourceName,
    link: tempLinkName(record.deviceId),
  };
  try {
    await context.restore(record);
    log.info("re-created the temp link of an allocated device at its ifindex", {
      ...fields,
      ifindex: record.ifindex,
      lower: record.lower,
    });
    return true;
  } catch (error) {
    const holder = context.links.byIndex(record.ifindex)?.name;
    log.error("cannot re-create the temp link of an allocated device at its ifindex", {
      ...fields,
      ifindex: record.ifindex,
      ...(holder ? { ifindexTakenBy: holder } : {}),
      error,
    });
    return false;
  }
}
