/**
 * Stale temp link collection: there is no de-allocate call in the device plugin API, so a macvtap made by
 * Allocate for a pod that never started (or whose CNI ADD failed before it adopted the link) stays in the
 * host netns, holding a /dev/tapN. This deletes such links, and nothing else:
 *
 * - only links the broker reports as macvtaps named `mvt` + 12 hex digits (and the broker itself refuses to
 *   delete anything else);
 * - never one whose device ID the kubelet lists as held by an active pod (pod-resources List);
 * - never one younger than the grace period (by the broker's first-seen time and by our own Allocate
 *   record), which covers pods being admitted right now;
 * - nothing at all when the kubelet cannot be asked.
 *
 * @module
 */
import type { HostLinks } from "../host/host_links.ts";
import { type Logger, silentLogger } from "../log.ts";
import type { AllocationLedger } from "./allocation_ledger.ts";
import { RESOURCE_NAMESPACE } from "./resource_names.ts";
import { tempLinkName } from "./temp_link_name.ts";

/** Devices of one resource held by a pod, as pod-resources reports them. */
export interface HeldDevices {
  resourceName: string;
  deviceIds: string[];
}

/** What the collector needs. */
export interface StaleLinkCollectorContext {
  hostLinks: HostLinks;
  ledger: AllocationLedger;
  /** Devices held by active pods; throws when the kubelet cannot be asked. */
  listHeldDevices: () => Promise<HeldDevices[]>;
  /** Links younger than this are never collected. */
  graceMs: number;
  now?: () => number;
  log?: Logger;
  /** Counts deletions for metrics. */
  onDeleted?: (count: number) => void;
}

/**
 * Deletes stale temp links once.
 *
 * @returns the names of the links deleted
 */
export async function collectStaleLinks(context: StaleLinkCollectorContext): Promise<string[]> {
  const log = context.log ?? silentLogger;
  const now = context.now ?? Date.now;
  let held: HeldDevices[];
  try {
    held = await context.listHeldDevices();
  } catch (error) {
    log.warn("stale link collection skipped: cannot ask the kubelet which devices are in use", { error });
    return [];
  }
  const inUse = new Set(
    held.filter((h) => h.resourceName.startsWith(`${RESOURCE_NAMESPACE}/`))
      .flatMap((h) => h.deviceIds.map(tempLinkName)),
  );
  const deleted: string[] = [];
  for (const link of await context.hostLinks.listTempLinks()) {
    const ageMs = now() - link.firstSeenMs;
    if (inUse.has(link.name) || ageMs < context.graceMs) continue;
    if (context.ledger.isRecent(link.name, context.graceMs)) continue;
    try {
      if (await context.hostLinks.deleteLink(link.name)) deleted.push(link.name);
      context.ledger.forget(link.name);
      log.info("deleted stale temp link", { link: link.name, ifindex: link.ifindex, ageMs });
    } catch (error) {
      log.error("cannot delete stale temp link", { link: link.name, error });
    }
  }
  context.ledger.prune(context.graceMs);
  if (deleted.length > 0) context.onDeleted?.(deleted.length);
  return deleted;
}

/**
 * Runs {@link collectStaleLinks} every `intervalMs` (never two at once).
 *
 * @returns stop collecting
 */
export function startStaleLinkCollector(
  context: StaleLinkCollectorContext,
  intervalMs: number,
): AsyncDisposable {
  let running: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    running = running.then(() => collectStaleLinks(context)).catch((error) => {
      (context.log ?? silentLogger).error("stale link collection failed", { error });
    });
  }, intervalMs);
  return {
    [Symbol.asyncDispose]: async () => {
      clearInterval(timer);
      await running;
    },
  };
}
