/**
 * One macvtap resource: its devices, their health from the lower link, Allocate, and re-creating the temp
 * link of a device the kubelet still holds (see allocation_restorer.ts).
 *
 * Health follows the lower link: up with carrier → Healthy; down, without carrier or missing → Unhealthy
 * (upstream only ever reports Healthy, or nothing). A missing lower keeps its devices listed: the node's
 * capacity stays visible and pods holding them see their devices' health; Healthy again when it returns.
 *
 * NUMA: the lower's node; a bond has none of its own and gets the node all its slaves agree on (none when
 * they differ, or when one does not know), so the TopologyManager can align bond-backed resources.
 *
 * @module
 */
import type { ResourceConfig } from "../config.ts";
import { type Link, NodeLinkError, type NodeLinks } from "../links/node_links.ts";
import {
  type ContainerAllocateRequest,
  type ContainerAllocateResponse,
  type Device,
  HEALTHY,
  PluginRequestError,
  type TopologyInfo,
  UNHEALTHY,
} from "../kubelet/api_types.ts";
import type { Logger } from "../log.ts";
import type { AllocationCheckpoint, AllocationRecord } from "./allocation_checkpoint.ts";
import type { LinkTable } from "../resources/link_table.ts";
import { PoolBase, type PoolObserver } from "../resources/pool_base.ts";
import { deviceId, parseDeviceIndex } from "../resources/resource_names.ts";
import { tempLinkName } from "./temp_link_name.ts";

/** What a pool needs from the rest of the daemon. */
export interface PoolContext {
  nodeLinks: NodeLinks;
  links: LinkTable;
  checkpoint: AllocationCheckpoint;
  log?: Logger;
  observer?: PoolObserver;
}

/** A device's temp link after Allocate: its ifindex, and whether this call made it. */
interface EnsuredLink {
  name: string;
  ifindex: number;
  created: boolean;
}

/** The devices of one configured (or discovered) resource. */
export class MacvtapPool extends PoolBase<ResourceConfig> {
  #linkWatch: Disposable;
  #queue: Promise<unknown> = Promise.resolve();
  /** The lower's NUMA topology when last seen, kept while it is missing. */
  #lastTopology: TopologyInfo | null = null;

  constructor(config: ResourceConfig, private context: PoolContext) {
    super(config, context.log);
    this.startTracking();
    this.#linkWatch = context.links.onChange((link, previous) => {
      if (this.#concerns(link) || this.#concerns(previous)) this.notifyIfChanged();
    });
  }

  devices(): Device[] {
    const { health, topology } = this.#state();
    return Array.from({ length: this.config.capacity }, (_, index) => ({
      ID: deviceId(this.config.name, index),
      health,
      topology,
    }));
  }

  /**
   * Makes sure each requested device has its temp link on the lower, up, and answers its /dev/tapN, one
   * response per container. Idempotent: the kubelet asks again with the same IDs when an app container
   * reuses its init container's devices, and a link already right (lower, mode, up) is kept, so the first
   * answer stays true; only a wrong one is replaced. If anything fails, the links this call made are
   * deleted again, for every container of the request.
   */
  allocate(requests: ContainerAllocateRequest[]): Promise<ContainerAllocateResponse[]> {
    return this.#enqueue(() => this.#allocate(requests.map((r) => r.devices_ids)));
  }

  /**
   * Re-creates the temp link of an allocated device at its recorded ifindex (queued with Allocate).
   *
   * @throws {NodeLinkError} EEXIST when the name or the ifindex is taken, ENODEV when the lower is missing
   */
  restore(record: AllocationRecord): Promise<number> {
    return this.#enqueue(async () => {
      const { ifindex } = await this.context.nodeLinks.createMacvtap({
        name: tempLinkName(record.deviceId),
        lower: record.lower,
        mode: record.mode,
        ifindex: record.ifindex,
      });
      return ifindex;
    });
  }

  override [Symbol.dispose](): void {
    this.#linkWatch[Symbol.dispose]();
    super[Symbol.dispose]();
  }

  /** Runs `work` after every Allocate and restore before it: two for the same device must not interleave. */
  #enqueue<T>(work: () => Promise<T>): Promise<T> {
    const result = this.#queue.then(work);
    this.#queue = result.catch(() => {});
    return result;
  }

  async #allocate(containers: string[][]): Promise<ContainerAllocateResponse[]> {
    const config = this.config;
    const made: string[] = [];
    try {
      this.#checkRequest(containers, config);
      const responses: ContainerAllocateResponse[] = [];
      const records: Omit<AllocationRecord, "allocatedAtMs">[] = [];
      for (const ids of containers) {
        const devices = [];
        for (const id of ids) {
          const link = await this.#ensureLink(id, config);
          if (link.created) made.push(link.name);
          records.push({ resourceName: this.resourceName, deviceId: id, ...lowerAndMode(config), ...link });
          const path = `/dev/tap${link.ifindex}`;
          devices.push({ container_path: path, host_path: path, permissions: "rw" });
        }
        responses.push({ envs: {}, mounts: [], devices, annotations: {}, cdi_devices: [] });
      }
      await this.context.checkpoint.record(records);
      this.context.observer?.allocated?.(this.resourceName, records.length);
      return responses;
    } catch (error) {
      this.context.observer?.allocateFailed?.(this.resourceName);
      await this.#undo(made);
      if (error instanceof PluginRequestError) throw error;
      throw new PluginRequestError(
        "UNAVAILABLE",
        `Cannot allocate ${containers.flat().join(",")} on "${config.lowerDevice}": ${
          (error as Error).message
        }`,
      );
    }
  }

  /**
   * The device's temp link: created, or kept when one is already there on the right lower with the right
   * mode and up, or else replaced. Creating first saves a broker round trip in the usual case.
   */
  async #ensureLink(id: string, config: ResourceConfig): Promise<EnsuredLink> {
    const name = tempLinkName(id);
    const spec = { name, ...lowerAndMode(config) };
    try {
      return { name, ifindex: (await this.context.nodeLinks.createMacvtap(spec)).ifindex, created: true };
    } catch (error) {
      if (!(error instanceof NodeLinkError && error.code === "EEXIST")) throw error;
    }
    const existing = (await this.context.nodeLinks.listTempLinks()).find((link) => link.name === name);
    if (existing && this.#isRight(existing, config)) {
      return { name, ifindex: existing.ifindex, created: false };
    }
    this.log.info("replacing a temp link that does not match the resource", { link: name, existing });
    await this.context.nodeLinks.deleteLink(name);
    return { name, ifindex: (await this.context.nodeLinks.createMacvtap(spec)).ifindex, created: true };
  }

  #isRight(link: Link, config: ResourceConfig): boolean {
    const lower = this.context.links.get(config.lowerDevice);
    return lower !== undefined && link.lowerIfindex === lower.ifindex && link.macvtapMode === config.mode &&
      link.up;
  }

  #checkRequest(containers: string[][], config: ResourceConfig): void {
    for (const ids of containers) {
      this.checkDeviceIds(ids, (id) => {
        const index = parseDeviceIndex(config.name, id);
        return index !== null && index < config.capacity;
      });
    }
    if (!this.context.links.get(config.lowerDevice)) {
      throw new PluginRequestError(
        "FAILED_PRECONDITION",
        `Cannot allocate: lower link "${config.lowerDevice}" does not exist`,
      );
    }
  }

  async #undo(made: string[]): Promise<void> {
    for (const name of made.reverse()) {
      try {
        await this.context.nodeLinks.deleteLink(name);
      } catch (error) {
        // The stale link collector removes it later; the Allocate error already tells the kubelet.
        this.log.error("cannot undo partial allocation", { link: name, error });
      }
    }
  }

  /** Whether a link change can change this pool's devices: the lower itself, or a slave of a bond lower. */
  #concerns(link: Link | undefined): boolean {
    if (!link) return false;
    if (link.name === this.config.lowerDevice) return true;
    const lower = this.context.links.get(this.config.lowerDevice);
    return link.masterIfindex !== undefined && (lower === undefined || link.masterIfindex === lower.ifindex);
  }

  /** Health and topology of every device now (the lower's last known topology while it is missing). */
  #state(): { lower: Link | undefined; health: Device["health"]; topology: TopologyInfo | null } {
    const lower = this.context.links.get(this.config.lowerDevice);
    if (lower) {
      const ports = lower.kind === "bond" ? this.context.links.portsOf(lower.ifindex) : [];
      const node = lower.numaNode ?? agreedNode(ports);
      this.#lastTopology = node === undefined ? null : { nodes: [{ ID: node }] };
    }
    return { lower, health: lower?.up && lower.carrier ? HEALTHY : UNHEALTHY, topology: this.#lastTopology };
  }

  protected signature(): string {
    const { name, capacity } = this.config;
    return JSON.stringify([name, capacity, this.describeDevices()]);
  }

  protected describeDevices(): Record<string, unknown> {
    const { capacity, lowerDevice } = this.config;
    const { lower, topology } = this.#state();
    return { lower: describeLower(lower, lowerDevice), numa: topology?.nodes[0]?.ID ?? null, capacity };
  }
}

/** The NUMA node every port reports, if there are ports and they all report the same one. */
function agreedNode(ports: Link[]): number | undefined {
  const nodes = new Set(ports.map((port) => port.numaNode));
  const [node] = nodes;
  return ports.length > 0 && nodes.size === 1 ? node : undefined;
}

function lowerAndMode(config: ResourceConfig): Pick<AllocationRecord, "lower" | "mode"> {
  return { lower: config.lowerDevice, mode: config.mode };
}

/** The state of a lower link that decides its devices' health, e.g. `eth0 up carrier`. */
function describeLower(link: Link | undefined, name: string): string {
  if (!link) return `${name} missing`;
  return `${name} ${link.up ? "up" : "down"} ${link.carrier ? "carrier" : "no-carrier"}`;
}
