/**
 * Keeps the host's temp links in line with what pods hold, from the kubelet's pod-resources List:
 *
 * - at start-up, before anything is served, re-creates the missing temp link of every recorded allocation
 *   (after a reboot nothing survived; the List may not be complete yet, and re-creating early keeps the
 *   recorded ifindexes from being taken by links made meanwhile);
 * - every interval, asks List, re-creates the missing links of devices pods still hold (a re-created
 *   sandbox), and — only while the List is trusted (../resources/pod_list_trust.ts) — deletes stale temp links and
 *   forgets the allocations no pod holds any more.
 *
 * @module
 */
import type { NodeLinks } from "../links/node_links.ts";
import { type Logger, silentLogger } from "../log.ts";
import type { AllocationCheckpoint, AllocationRecord } from "./allocation_checkpoint.ts";
import { restoreMissingLinks, type RestoreOutcome } from "./allocation_restorer.ts";
import type { LinkTable } from "../resources/link_table.ts";
import { PodListTrust } from "../resources/pod_list_trust.ts";
import { heldDeviceKeys, type HeldDevices } from "../resources/held_devices.ts";
import { collectStaleLinks, releaseRecords } from "./stale_link_gc.ts";

/** What the keeper needs. */
export interface KeeperContext {
  nodeLinks: NodeLinks;
  links: LinkTable;
  checkpoint: AllocationCheckpoint;
  /** Devices held by active pods; throws when the kubelet cannot be asked. */
  listHeldDevices: () => Promise<HeldDevices[]>;
  /** Re-creates a record's temp link at its ifindex. */
  restore: (record: AllocationRecord) => Promise<number>;
  /** Links and allocations younger than this are never collected; also how long List must be stable. */
  graceMs: number;
  now?: () => number;
  log?: Logger;
  /** Counts stale links deleted, for metrics. */
  onDeleted?: (count: number) => void;
}

/** What one pass did. */
export interface KeeperPass {
  /** False when the List was not trusted (or not available): nothing was collected. */
  collected: boolean;
  restored: string[];
  deleted: string[];
  released: string[];
}

/** The periodic pass over allocations, temp links and the pod list. */
export class AllocationKeeper implements AsyncDisposable {
  #trust: PodListTrust;
  #log: Logger;
  #running: Promise<unknown> = Promise.resolve();
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(private context: KeeperContext) {
    this.#trust = new PodListTrust(context.graceMs, context.now);
    this.#log = context.log ?? silentLogger;
  }

  /** Whether collection waits for a stable List (after a kubelet start). */
  get paused(): boolean {
    return this.#trust.paused;
  }

  /** Re-creates every recorded device's missing temp link, whatever the List says (see module doc). */
  restoreAll(): Promise<RestoreOutcome> {
    return this.#serial(async () => {
      const tempLinks = await this.context.nodeLinks.listTempLinks();
      return await restoreMissingLinks(this.#restoreContext(), this.context.checkpoint.all(), tempLinks);
    });
  }

  /** The kubelet (re)started: its List may be incomplete for a while, so collection pauses. */
  kubeletRestarted(): void {
    this.#trust.kubeletRestarted();
    this.#log.info("stale link collection paused until the kubelet's pod list is stable", {
      graceMs: this.context.graceMs,
    });
  }

  /** One pass (never two at once). */
  pass(): Promise<KeeperPass> {
    return this.#serial(() => this.#pass());
  }

  /** Runs {@link pass} every `intervalMs` until disposed. */
  start(intervalMs: number): void {
    this.#timer = setInterval(() => {
      this.pass().catch((error) => this.#log.error("allocation keeping pass failed", { error }));
    }, intervalMs);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    clearInterval(this.#timer);
    await this.#running.catch(() => {});
  }

  async #pass(): Promise<KeeperPass> {
    const outcome: KeeperPass = { collected: false, restored: [], deleted: [], released: [] };
    let held: HeldDevices[];
    try {
      held = await this.context.listHeldDevices();
    } catch (error) {
      this.#log.warn("cannot ask the kubelet which devices are in use; nothing collected or restored", {
        error,
      });
      return outcome;
    }
    const wasPaused = this.#trust.paused;
    const trusted = this.#trust.observe(held);
    if (wasPaused && trusted) this.#log.info("stale link collection resumed: the pod list is stable");
    const tempLinks = await this.context.nodeLinks.listTempLinks();
    const keys = heldDeviceKeys(held);
    const candidates = this.context.checkpoint.all().filter((r) =>
      keys.has(`${r.resourceName}/${r.deviceId}`)
    );
    const restored = await restoreMissingLinks(this.#restoreContext(), candidates, tempLinks);
    outcome.restored = restored.restored.map((r) => r.deviceId);
    if (!trusted) return outcome;
    outcome.collected = true;
    outcome.deleted = await collectStaleLinks(this.context, held, tempLinks);
    outcome.released = await releaseRecords(this.context, held);
    return outcome;
  }

  #restoreContext() {
    const { nodeLinks, links, restore } = this.context;
    return { nodeLinks, links, restore, log: this.#log };
  }

  #serial<T>(work: () => Promise<T>): Promise<T> {
    const result = this.#running.catch(() => {}).then(work);
    this.#running = result;
    return result;
  }
}
