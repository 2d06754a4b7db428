/**
 * What every resource pool shares, whatever it hands out (macvtaps of a lower link, whole NICs): the names
 * the kubelet sees, the config entry and its reconfiguration, the ListAndWatch listeners and telling them
 * when the device list changed, GetPreferredAllocation, and the checks every Allocate request passes first.
 *
 * @module
 */
import type {
  ContainerAllocateRequest,
  ContainerAllocateResponse,
  ContainerPreferredAllocationRequest,
  ContainerPreferredAllocationResponse,
  Device,
  DevicePluginBackend,
  TopologyInfo,
} from "../kubelet/api_types.ts";
import type { Link } from "../links/node_links.ts";
import { PluginRequestError } from "../kubelet/api_types.ts";
import { type Logger, silentLogger } from "../log.ts";
import { preferDevices } from "./preferred_allocation.ts";
import { resourceName, socketFileName } from "./resource_names.ts";

/** Counters a pool reports to metrics. */
export interface PoolObserver {
  allocated?(resource: string, devices: number): void;
  /** One failed Allocate request, whatever the status (INVALID_ARGUMENT, NOT_FOUND, UNAVAILABLE …). */
  allocateFailed?(resource: string): void;
}

/** A served resource backed by one config entry of type `C`. */
export abstract class PoolBase<C extends { readonly name: string }>
  implements DevicePluginBackend, Disposable {
  readonly resourceName: string;
  readonly socketName: string;
  protected readonly log: Logger;
  #config: C;
  #listeners = new Set<() => void>();
  #lastSignature = "";

  protected constructor(config: C, log: Logger | undefined) {
    this.#config = config;
    this.resourceName = resourceName(config.name);
    this.socketName = socketFileName(config.name);
    this.log = (log ?? silentLogger).child({ resource: this.resourceName });
  }

  /** The resource's current configuration. */
  get config(): C {
    return this.#config;
  }

  /** Applies a changed entry of the same name; what pods already hold is left alone. */
  reconfigure(config: C): void {
    if (config.name !== this.#config.name) {
      throw new Error(`pool "${this.#config.name}" cannot become "${config.name}"`);
    }
    this.#config = config;
    this.notifyIfChanged();
  }

  abstract devices(): Device[];

  abstract allocate(requests: ContainerAllocateRequest[]): Promise<ContainerAllocateResponse[]>;

  onDevicesChanged(listener: () => void): Disposable {
    this.#listeners.add(listener);
    return { [Symbol.dispose]: () => void this.#listeners.delete(listener) };
  }

  preferredAllocation(request: ContainerPreferredAllocationRequest): ContainerPreferredAllocationResponse {
    return preferDevices(request);
  }

  [Symbol.dispose](): void {
    this.#listeners.clear();
  }

  /** Everything {@link devices} depends on, cheap to compare. */
  protected abstract signature(): string;

  /** What the "devices changed" log line reports. */
  protected abstract describeDevices(): Record<string, unknown>;

  /** Takes the current device list as the baseline; a subclass calls it once its own fields are set. */
  protected startTracking(): void {
    this.#lastSignature = this.signature();
  }

  /** Tells the listeners (and the log) when the device list differs from the last one they heard of. */
  protected notifyIfChanged(): void {
    const signature = this.signature();
    if (signature === this.#lastSignature) return;
    this.#lastSignature = signature;
    this.log.info("devices changed", this.describeDevices());
    for (const listener of [...this.#listeners]) listener();
  }

  /**
   * The checks every Allocate request passes first: at least one ID, each one `isKnown`, none twice.
   *
   * @throws {PluginRequestError} INVALID_ARGUMENT or NOT_FOUND
   */
  protected checkDeviceIds(ids: string[], isKnown: (id: string) => boolean): void {
    if (ids.length === 0) {
      throw new PluginRequestError("INVALID_ARGUMENT", "Cannot allocate: no device IDs given");
    }
    const unknown = ids.filter((id) => !isKnown(id));
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
}

/** The NUMA node a device sits on, as the kubelet wants it, or null when the link reports none. */
export function numaTopology(link: Link | undefined): TopologyInfo | null {
  return link?.numaNode === undefined ? null : { nodes: [{ ID: link.numaNode }] };
}
