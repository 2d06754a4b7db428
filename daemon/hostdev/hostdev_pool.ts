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
import type { Link } from "../links/node_links.ts";
import {
  type ContainerAllocateRequest,
  type ContainerAllocateResponse,
  type Device,
  HEALTHY,
  UNHEALTHY,
} from "../kubelet/api_types.ts";
import type { Logger } from "../log.ts";
import type { LinkTable } from "../resources/link_table.ts";
import { numaTopology, PoolBase, type PoolObserver } from "../resources/pool_base.ts";
import { nicDeviceId } from "./nic_selection.ts";
import { pciDeviceEnvName } from "./pci_device_env.ts";

/**
 * One device per ID: two netdevs can report one PCI address (a NIC renamed while an event was lost, a
 * function with several ports), and the kubelet must not see one device twice. The first (by ifindex
 * order of `nics`) wins.
 */
function uniqueById(devices: Device[]): Device[] {
  const seen = new Set<string>();
  return devices.filter((device) => !seen.has(device.ID) && seen.add(device.ID));
}

/** What a hostdev pool needs from the rest of the daemon. */
export interface HostdevPoolContext {
  links: LinkTable;
  /** The NICs this resource owns now (settled across resources by the resource set). */
  nics: () => Link[];
  log?: Logger;
  observer?: PoolObserver;
}

/** The devices of one hostdev resource. */
export class HostdevPool extends PoolBase<HostdevResourceConfig> {
  #linkWatch: Disposable;
  /** Last seen state of every NIC this pool offered, by device ID. */
  #known = new Map<string, Link>();
  /** Allocated by this daemon and not back on the node since. */
  #allocated = new Set<string>();
  /** Allocated devices whose NIC left the node netns (in a pod). */
  #away = new Set<string>();

  constructor(config: HostdevResourceConfig, private context: HostdevPoolContext) {
    super(config, context.log);
    this.#observe();
    this.startTracking();
    this.#linkWatch = context.links.onChange(() => this.notifyIfChanged());
  }

  /** Re-reads the NICs (the resource set calls this when ownership between resources may have moved). */
  refresh(): void {
    this.notifyIfChanged();
  }

  devices(): Device[] {
    const present = uniqueById(
      this.context.nics().map((nic): Device => ({
        ID: nicDeviceId(nic),
        health: nic.up && !nic.carrier ? UNHEALTHY : HEALTHY,
        topology: numaTopology(nic),
      })),
    );
    const listed = new Set(present.map((device) => device.ID));
    const away = [...this.#away].filter((id) => !listed.has(id)).map((id): Device => ({
      ID: id,
      health: HEALTHY,
      topology: numaTopology(this.#known.get(id)),
    }));
    return [...present, ...away].sort((a, b) => a.ID < b.ID ? -1 : 1);
  }

  /** Names the NICs in `PCIDEVICE_<RESOURCE>`, per container; nothing on the node changes (the CNI moves the NIC). */
  allocate(requests: ContainerAllocateRequest[]): Promise<ContainerAllocateResponse[]> {
    try {
      const listed = new Set(this.devices().map((device) => device.ID));
      for (const request of requests) this.checkDeviceIds(request.devices_ids, (id) => listed.has(id));
    } catch (error) {
      this.context.observer?.allocateFailed?.(this.resourceName);
      return Promise.reject(error);
    }
    const ids = requests.flatMap((request) => request.devices_ids);
    for (const id of ids) this.#allocated.add(id);
    this.context.observer?.allocated?.(this.resourceName, ids.length);
    return Promise.resolve(requests.map((request) => ({
      envs: { [pciDeviceEnvName(this.resourceName)]: request.devices_ids.join(",") },
      mounts: [],
      devices: [],
      annotations: {},
      cdi_devices: [],
    })));
  }

  override [Symbol.dispose](): void {
    this.#linkWatch[Symbol.dispose]();
    super[Symbol.dispose]();
  }

  /** Learns which NICs came and went before comparing the device list. */
  protected override notifyIfChanged(): void {
    this.#observe();
    super.notifyIfChanged();
  }

  protected signature(): string {
    return JSON.stringify(this.devices());
  }

  protected describeDevices(): Record<string, unknown> {
    return { devices: this.devices().map((d) => `${d.ID} ${d.health}`) };
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
}
