/**
 * One macvtap resource: its devices, their health from the lower link, and Allocate.
 *
 * Health follows the lower link: missing → no devices at all; down or without carrier → every device
 * Unhealthy; up with carrier → Healthy (upstream only ever reports Healthy, or nothing).
 *
 * @module
 */
import type { ResourceConfig } from "../config.ts";
import { type CreateMacvtapArgs, HostLinkError, type HostLinks, type Link } from "../host/host_links.ts";
import {
  type ContainerAllocateRequest,
  type ContainerAllocateResponse,
  type ContainerPreferredAllocationRequest,
  type ContainerPreferredAllocationResponse,
  type Device,
  type DevicePluginBackend,
  HEALTHY,
  PluginRequestError,
  UNHEALTHY,
} from "../kubelet/api_types.ts";
import { type Logger, silentLogger } from "../log.ts";
import type { AllocationLedger } from "./allocation_ledger.ts";
import type { LinkTable } from "./link_table.ts";
import { preferDevices } from "./preferred_allocation.ts";
import { deviceId, parseDeviceIndex, resourceName, socketFileName } from "./resource_names.ts";
import { tempLinkName } from "./temp_link_name.ts";

/** Counters a pool reports to metrics. */
export interface PoolObserver {
  allocated?(resource: string, devices: number): void;
  allocateFailed?(resource: string): void;
}

/** What a pool needs from the rest of the daemon. */
export interface PoolContext {
  hostLinks: HostLinks;
  links: LinkTable;
  ledger: AllocationLedger;
  log?: Logger;
  observer?: PoolObserver;
}

/** The devices of one configured (or discovered) resource. */
export class MacvtapPool implements DevicePluginBackend, Disposable {
  readonly resourceName: string;
  readonly socketName: string;
  #config: ResourceConfig;
  #listeners = new Set<() => void>();
  #linkWatch: Disposable;
  #log: Logger;
  #lastSignature = "";
  #queue: Promise<unknown> = Promise.resolve();

  constructor(config: ResourceConfig, private context: PoolContext) {
    this.#config = config;
    this.resourceName = resourceName(config.name);
    this.socketName = socketFileName(config.name);
    this.#log = (context.log ?? silentLogger).child({ resource: this.resourceName });
    this.#lastSignature = this.#signature();
    this.#linkWatch = context.links.onChange((name) => {
      if (name === this.#config.lowerDevice) this.#maybeNotify();
    });
  }

  /** The resource's current configuration. */
  get config(): ResourceConfig {
    return this.#config;
  }

  /** Applies a changed entry of the same name (capacity, mode or lower); allocated links are left alone. */
  reconfigure(config: ResourceConfig): void {
    if (config.name !== this.#config.name) {
      throw new Error(`pool "${this.#config.name}" cannot become "${config.name}"`);
    }
    this.#config = config;
    this.#maybeNotify();
  }

  devices(): Device[] {
    const lower = this.context.links.get(this.#config.lowerDevice);
    if (!lower) return [];
    const health = lower.up && lower.carrier ? HEALTHY : UNHEALTHY;
    const topology = lower.numaNode === undefined ? null : { nodes: [{ ID: lower.numaNode }] };
    return Array.from({ length: this.#config.capacity }, (_, index) => ({
      ID: deviceId(this.#config.name, index),
      health,
      topology,
    }));
  }

  onDevicesChanged(listener: () => void): Disposable {
    this.#listeners.add(listener);
    return { [Symbol.dispose]: () => void this.#listeners.delete(listener) };
  }

  preferredAllocation(request: ContainerPreferredAllocationRequest): ContainerPreferredAllocationResponse {
    return preferDevices(request);
  }

  /**
   * Creates one fresh macvtap per requested device on the lower link, up, and returns its /dev/tapN.
   *
   * A link left behind by an earlier pod is replaced (see #createFresh). If any device fails, the links
   * made by this call are deleted again.
   */
  allocate(request: ContainerAllocateRequest): Promise<ContainerAllocateResponse> {
    // One Allocate at a time per resource: two calls for the same device must not interleave.
    const result = this.#queue.then(() => this.#allocate(request.devices_ids));
    this.#queue = result.catch(() => {});
    return result;
  }

  [Symbol.dispose](): void {
    this.#linkWatch[Symbol.dispose]();
    this.#listeners.clear();
  }

  async #allocate(ids: string[]): Promise<ContainerAllocateResponse> {
    const config = this.#config;
    this.#checkRequest(ids, config);
    const created: string[] = [];
    try {
      const devices = [];
      for (const id of ids) {
        const name = tempLinkName(id);
        const { ifindex } = await this.#createFresh({ name, lower: config.lowerDevice, mode: config.mode });
        created.push(name);
        this.context.ledger.record(name);
        const path = `/dev/tap${ifindex}`;
        devices.push({ container_path: path, host_path: path, permissions: "rw" });
      }
      this.context.observer?.allocated?.(this.resourceName, ids.length);
      return { envs: {}, mounts: [], devices, annotations: {}, cdi_devices: [] };
    } catch (error) {
      this.context.observer?.allocateFailed?.(this.resourceName);
      await this.#undo(created);
      if (error instanceof PluginRequestError) throw error;
      throw new PluginRequestError(
        "UNAVAILABLE",
        `Cannot allocate ${ids.join(",")} on "${config.lowerDevice}": ${(error as Error).message}`,
      );
    }
  }

  /**
   * Creates the macvtap, replacing a leftover of the same name: there is no de-allocate call in the device
   * plugin API, so a failed sandbox can leave its link behind. Trying the create first saves a broker round
   * trip in the usual case, where nothing is left over.
   */
  async #createFresh(spec: CreateMacvtapArgs): Promise<{ ifindex: number }> {
    try {
      return await this.context.hostLinks.createMacvtap(spec);
    } catch (error) {
      if (!(error instanceof HostLinkError && error.code === "EEXIST")) throw error;
    }
    await this.context.hostLinks.deleteLink(spec.name);
    return await this.context.hostLinks.createMacvtap(spec);
  }

  #checkRequest(ids: string[], config: ResourceConfig): void {
    if (ids.length === 0) {
      throw new PluginRequestError("INVALID_ARGUMENT", "Cannot allocate: no device IDs given");
    }
    const unknown = ids.filter((id) => {
      const index = parseDeviceIndex(config.name, id);
      return index === null || index >= config.capacity;
    });
    if (unknown.length > 0) {
      throw new PluginRequestError(
        "NOT_FOUND",
        `Cannot allocate unknown devices ${unknown.join(",")} of ${this.resourceName}`,
      );
    }
    if (new Set(ids).size !== ids.length) {
      throw new PluginRequestError(
        "INVALID_ARGUMENT",
        `Cannot allocate ${ids.join(",")}: a device is listed twice`,
      );
    }
    if (!this.context.links.get(config.lowerDevice)) {
      throw new PluginRequestError(
        "FAILED_PRECONDITION",
        `Cannot allocate: lower link "${config.lowerDevice}" does not exist`,
      );
    }
  }

  async #undo(created: string[]): Promise<void> {
    for (const name of created.reverse()) {
      try {
        await this.context.hostLinks.deleteLink(name);
        this.context.ledger.forget(name);
      } catch (error) {
        // The stale link collector removes it later; the Allocate error already tells the kubelet.
        this.#log.error("cannot undo partial allocation", { link: name, error });
      }
    }
  }

  /** Everything {@link devices} depends on, cheap to compare. */
  #signature(): string {
    const { name, capacity, lowerDevice } = this.#config;
    return JSON.stringify([name, capacity, describeLower(this.context.links.get(lowerDevice), lowerDevice)]);
  }

  #maybeNotify(): void {
    const signature = this.#signature();
    if (signature === this.#lastSignature) return;
    this.#lastSignature = signature;
    const lower = this.context.links.get(this.#config.lowerDevice);
    this.#log.info("devices changed", {
      lower: describeLower(lower, this.#config.lowerDevice),
      capacity: this.#config.capacity,
    });
    for (const listener of [...this.#listeners]) listener();
  }
}

/** The state of a lower link that decides its devices' health, e.g. `eth0 up carrier numa 0`. */
function describeLower(link: Link | undefined, name: string): string {
  if (!link) return `${name} missing`;
  const numa = link.numaNode === undefined ? "" : ` numa ${link.numaNode}`;
  return `${name} ${link.up ? "up" : "down"} ${link.carrier ? "carrier" : "no-carrier"}${numa}`;
}
