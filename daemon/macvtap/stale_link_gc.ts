/**
 * Stale temp link collection: there is no de-allocate call in the device plugin API, so a macvtap made by
 * Allocate for a pod that never started (or whose CNI ADD failed before it adopted the link) stays in the
 * host netns, holding a /dev/tapN. This deletes such links, and nothing else:
 *
 * - only links the broker reports as macvtaps named `mvt` + 12 hex digits (and the broker itself refuses to
 *   delete anything else);
 * - never one whose device ID the kubelet lists as held by an active pod (pod-resources List);
 * - never one younger than the grace period (by the broker's first-seen time and by the allocation
 *   checkpoint, which outlives daemon restarts), which covers pods being admitted right now;
 * - only with a List the caller trusts (allocation_keeper.ts: not while the kubelet may still be
 *   rebuilding its pod list after a restart), and nothing at all when the kubelet cannot be asked.
 *
 * @module
 */
import type { Link, NodeLinks } from "../links/node_links.ts";
import { type Logger, silentLogger } from "../log.ts";
import type { AllocationCheckpoint } from "./allocation_checkpoint.ts";
import { heldDeviceKeys, type HeldDevices, isOurResource } from "../resources/held_devices.ts";
import { tempLinkName } from "./temp_link_name.ts";

/** What the collector needs. */
export interface StaleLinkContext {
  nodeLinks: NodeLinks;
  checkpoint: AllocationCheckpoint;
  /** Links younger than this are never collected. */
  graceMs: number;
  now?: () => number;
  log?: Logger;
  /** Counts deletions for metrics. */
  onDeleted?: (count: number) => void;
}

/**
 * Deletes the stale ones among `tempLinks` (the broker's listTempLinks), given the devices pods hold.
 *
 * @returns the names of the links deleted
 */
export async function collectStaleLinks(
  context: StaleLinkContext,
  held: HeldDevices[],
  tempLinks: Link[],
): Promise<string[]> {
  const log = context.log ?? silentLogger;
  const now = context.now ?? Date.now;
  const inUse = new Set(held.filter(isOurResource).flatMap((h) => h.deviceIds.map(tempLinkName)));
  const deleted: string[] = [];
  for (const link of tempLinks) {
    const ageMs = now() - link.firstSeenMs;
    if (inUse.has(link.name) || ageMs < context.graceMs) continue;
    if (context.checkpoint.isRecent(link.name, context.graceMs)) continue;
    try {
      if (await context.nodeLinks.deleteLink(link.name)) deleted.push(link.name);
      log.info("deleted stale temp link", { link: link.name, ifindex: link.ifindex, ageMs });
    } catch (error) {
      log.error("cannot delete stale temp link", { link: link.name, error });
    }
  }
  if (deleted.length > 0) context.onDeleted?.(deleted.length);
  return deleted;
}

/**
 * Forgets the checkpoint records of devices no pod holds any more (older than the grace period, so a pod
 * being admitted keeps its record); their links, if any, are the collector's.
 *
 * @returns the device IDs forgotten
 */
export async function releaseRecords(context: StaleLinkContext, held: HeldDevices[]): Promise<string[]> {
  const now = context.now ?? Date.now;
  const inUse = heldDeviceKeys(held);
  const released = context.checkpoint.all()
    .filter((r) =>
      !inUse.has(`${r.resourceName}/${r.deviceId}`) && now() - r.allocatedAtMs >= context.graceMs
    )
    .map((r) => r.deviceId);
  if (released.length > 0) {
    await context.checkpoint.forget(released);
    (context.log ?? silentLogger).info("allocations released: no pod holds them", { devices: released });
  }
  return released;
}
