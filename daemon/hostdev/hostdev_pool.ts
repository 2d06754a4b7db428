/**
 * One hostdev resource: a device per selected NIC (ID = its PCI address, or its name for NICs selected by
 * name), health from the NIC, and an Allocate that only names the NICs (the CNI moves them).
 *
 * Health: a NIC that is up without carrier is Unhealthy (cable out, switch port down). A NIC that is
 * down reports no carrier on most drivers whatever the cable does, so a down NIC counts as Healthy — the
 * pod brings it up; treating it as Unhealthy would strand every spare NIC an operator leaves down.
 *
 * A NIC in a pod is gone from the node netns. Devices this daemon allocated stay listed (Healthy) while
 * they are away, so the node's capacity does not drop while pods use them; they are forgotten as away
 * once they come back. After a daemon restart, a NIC still in a pod is listed again only once it returns.
 *
 * @module
 */
import type { HostdevResourceConfig } from "../config.ts";
import type { Link } from "../host/host_links.ts";
import {
  type ContainerAllocateRequest,
  type ContainerAllocateResponse,
  type ContainerPreferredAllocationRequest,
  type ContainerPreferredAllocationResponse,
  type Device,
  type DevicePluginBackend,
  HEALTHY,
  PluginRequestError,
  type TopologyInfo,
  UNHEALTHY,
} from "../kubelet/api_types.ts";
import { type Logger, silentLogger } from "../log.ts";
import type { LinkTable } from "../macvtap/link_table.ts";
import type { PoolObserver } from "../macvtap/macvtap_pool.ts";
import { preferDevices } from "../macvtap/preferred_allocation.ts";
import { resourceName, socketFileName } from "../macvtap/resource_names.ts";
import { nicDeviceId } from "./nic_selection.ts";
import { pciDeviceEnvName } from "./pci_device_env.ts";

/** What a hostdev pool needs from the rest of the daemon. */
export interface HostdevPoolContext {
  links: LinkTable;
  /** The NICs this resource owns now (settled across resources by the resource set). */
  nics: () => Link[];
  log?: Logger;
  observer?: PoolObserver;
}

/** The devices of one hostdev resource. */
export class HostdevPool implements DevicePluginBackend, Disposable {
  readonly resourceName: string;
  readonly socketName: string;
  #config: HostdevResourceConfig;
  #listeners = new Set<() => void>();
  #linkWatch: Disposable;
  #log: Logger;
  /** Last seen state of every NIC this pool offered, by device ID. */
  #known = new Map<string, Link>();
  /** Allocated by this daemon and not back on the node since. */
  #allocated = new Set<string>();
  /** Allocated devices whose NIC left the node netns (in a pod). */
  #away = new Set<string>();
  #lastSignature = "";

  constructor(config: HostdevResourceConfig, private context: HostdevPoolContext) {
    this.#config = config;
    this.resourceName = resourceName(config.name);
    this.socketName = socketFileName(config.name);
    this.#log = (context.log ?? silentLogger).child({ resource: this.resourceName });
    this.#observe();
    this.#lastSignature = this.#signature();
    this.#linkWatch = context.links.onChange(() => this.#refresh());
  }

  /** The resource's current configuration. */
  get config(): HostdevResourceConfig {
    return this.#config;
  }

  /** Applies a changed entry of the same name (another selector); NICs in pods are left alone. */
  reconfigure(config: HostdevResourceConfig): void {
    if (config.name !== this.#config.name) {
      throw new Error(`pool "${this.#config.name}" cannot become "${config.name}"`);
    }
    this.#config = config;
    this.#refresh();
  }

  /** Re-reads the NICs (the resource set calls this when ownership between resources may have moved). */
  refresh(): void {
    this.#refresh();
  }

  devices(): Device[] {
    const present = this.context.nics().map((nic): Device => ({
      ID: nicDeviceId(nic),
      health: nic.up && !nic.carrier ? UNHEALTHY : HEALTHY,
      topology: topologyOf(nic),
    }));
    const away = [...this.#away].map((id): Device => ({
      ID: id,
      health: HEALTHY,
      topology: topologyOf(this.#known.get(id)),
    }));
    return [...present, ...away].sort((a, b) => a.ID < b.ID ? -1 : 1);
  }

  onDevicesChanged(listener: () => void): Disposable {
    this.#listeners.add(listener);
    return { [Symbol.dispose]: () => void this.#listeners.delete(listener) };
  }

  preferredAllocation(request: ContainerPreferredAllocationRequest): ContainerPreferredAllocationResponse {
    return preferDevices(request);
  }

  /** Names the NICs in `PCIDEVICE_<RESOURCE>`; nothing on the node changes (the CNI moves the NIC). */
  allocate(request: ContainerAllocateRequest): Promise<ContainerAllocateResponse> {
    const ids = request.devices_ids;
    try {
      this.#checkRequest(ids);
    } catch (error) {
      this.context.observer?.allocateFailed?.(this.resourceName);
      return Promise.reject(error);
    }
    for (const id of ids) this.#allocated.add(id);
    this.context.observer?.allocated?.(this.resourceName, ids.length);
    return Promise.resolve({
      envs: { [pciDeviceEnvName(this.resourceName)]: ids.join(",") },
      mounts: [],
      devices: [],
      annotations: {},
      cdi_devices: [],
    });
  }

  [Symbol.dispose](): void {
    this.#linkWatch[Symbol.dispose]();
    this.#listeners.clear();
  }

  #checkRequest(ids: string[]): void {
    if (ids.length === 0) {
      throw new PluginRequestError("INVALID_ARGUMENT", "Cannot allocate: no device IDs given");
    }
    const known = new Set(this.devices().map((device) => device.ID));
    const unknown = ids.filter((id) => !known.has(id));
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
  }

  /** Updates what is known, present and away from the current NICs. */
  #observe(): void {
    const present = new Set<string>();
    for (const nic of this.context.nics()) {
      const id = nicDeviceId(nic);
      present.add(id);
      this.#known.set(id, nic);
    }
    for (const id of this.#allocated) {
      if (present.has(id) && this.#away.delete(id)) this.#allocated.delete(id); // back from its pod
      else if (!present.has(id) && this.#known.has(id)) this.#away.add(id);
    }
  }

  #signature(): string {
    return JSON.stringify(this.devices());
  }

  #refresh(): void {
    this.#observe();
    const signature = this.#signature();
    if (signature === this.#lastSignature) return;
    this.#lastSignature = signature;
    this.#log.info("devices changed", { devices: this.devices().map((d) => `${d.ID} ${d.health}`) });
    for (const listener of [...this.#listeners]) listener();
  }
}

function topologyOf(link: Link | undefined): TopologyInfo | null {
  return link?.numaNode === undefined ? null : { nodes: [{ ID: link.numaNode }] };
}
