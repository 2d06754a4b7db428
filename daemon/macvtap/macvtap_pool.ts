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
  type Device,
  HEALTHY,
  PluginRequestError,
  UNHEALTHY,
} from "../kubelet/api_types.ts";
import type { Logger } from "../log.ts";
import type { AllocationLedger } from "./allocation_ledger.ts";
import type { LinkTable } from "./link_table.ts";
import { numaTopology, PoolBase } from "./pool_base.ts";
import { deviceId, parseDeviceIndex } from "./resource_names.ts";
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
export class MacvtapPool extends PoolBase<ResourceConfig> {
  #linkWatch: Disposable;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(config: ResourceConfig, private context: PoolContext) {
    super(config, context.log);
    this.startTracking();
    this.#linkWatch = context.links.onChange((name) => {
      if (name === this.config.lowerDevice) this.notifyIfChanged();
    });
  }

  devices(): Device[] {
    const lower = this.context.links.get(this.config.lowerDevice);
    if (!lower) return [];
    const health = lower.up && lower.carrier ? HEALTHY : UNHEALTHY;
    const topology = numaTopology(lower);
    return Array.from({ length: this.config.capacity }, (_, index) => ({
      ID: deviceId(this.config.name, index),
      health,
      topology,
    }));
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

  override [Symbol.dispose](): void {
    this.#linkWatch[Symbol.dispose]();
    super[Symbol.dispose]();
  }

  async #allocate(ids: string[]): Promise<ContainerAllocateResponse> {
    const config = this.config;
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
    this.checkDeviceIds(ids, (id) => {
      const index = parseDeviceIndex(config.name, id);
      return index !== null && index < config.capacity;
    });
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
        this.log.error("cannot undo partial allocation", { link: name, error });
      }
    }
  }

  protected signature(): string {
    const { name, capacity, lowerDevice } = this.config;
    return JSON.stringify([name, capacity, describeLower(this.context.links.get(lowerDevice), lowerDevice)]);
  }

  protected describeDevices(): Record<string, unknown> {
    const { capacity, lowerDevice } = this.config;
    return { lower: describeLower(this.context.links.get(lowerDevice), lowerDevice), capacity };
  }
}

/** The state of a lower link that decides its devices' health, e.g. `eth0 up carrier numa 0`. */
function describeLower(link: Link | undefined, name: string): string {
  if (!link) return `${name} missing`;
  const numa = link.numaNode === undefined ? "" : ` numa ${link.numaNode}`;
  return `${name} ${link.up ? "up" : "down"} ${link.carrier ? "carrier" : "no-carrier"}${numa}`;
}
