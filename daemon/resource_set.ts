/**
 * The set of advertised resources: the configured ones (macvtap and hostdev), or with `[]` one macvtap
 * resource per suitable lower link.
 *
 * On every change (config reload, link appearing or vanishing under auto-discovery) it works out the
 * difference and only touches what changed: new resources are served, removed ones stopped, changed ones
 * reconfigured in place — unchanged resources keep their server, registration and stream, so a reload
 * never disturbs the devices pods already hold.
 *
 * @module
 */
import {
  type DaemonConfig,
  type HostdevResourceConfig,
  isHostdevResource,
  type ResourceConfig,
} from "./config.ts";
import { HostdevPool } from "./hostdev/hostdev_pool.ts";
import { assignNics } from "./hostdev/nic_selection.ts";
import type { Link } from "./links/node_links.ts";
import type { DevicePluginBackend } from "./kubelet/api_types.ts";
import { type Logger, silentLogger } from "./log.ts";
import { discoverResources } from "./macvtap/discovery.ts";
import { MacvtapPool, type PoolContext } from "./macvtap/macvtap_pool.ts";

/** A served resource of either kind. */
export type Pool = MacvtapPool | HostdevPool;

type AnyResourceConfig = ResourceConfig | HostdevResourceConfig;

/** Where pools are served (the kubelet machinery). */
export interface PluginServers {
  add(backend: DevicePluginBackend): void;
  remove(socketName: string): Promise<void>;
}

/** The live pools, kept in line with the configuration and, under auto-discovery, with the links. */
export class ResourceSet implements AsyncDisposable {
  #pools = new Map<string, Pool>();
  #config: DaemonConfig = { resources: [], hostdevResources: [], autoDiscover: false };
  #queue: Promise<void> = Promise.resolve();
  #linkWatch: Disposable;
  #log: Logger;

  constructor(private context: PoolContext, private plugins: PluginServers) {
    this.#log = context.log ?? silentLogger;
    // Under auto-discovery, links coming and going change the resources.
    this.#linkWatch = context.links.onChange(() => {
      if (this.#config.autoDiscover) void this.#enqueue();
    });
  }

  /** Switches to `config` (explicit list or auto-discovery) and reconciles. */
  apply(config: DaemonConfig): Promise<void> {
    this.#config = config;
    return this.#enqueue();
  }

  /** The pools, by resource name order. */
  pools(): Pool[] {
    return [...this.#pools.values()].sort((a, b) => a.resourceName < b.resourceName ? -1 : 1);
  }

  /** The macvtap pool serving `resourceName`, if one does. */
  macvtapPool(resourceName: string): MacvtapPool | undefined {
    return this.pools().find((pool): pool is MacvtapPool =>
      pool instanceof MacvtapPool && pool.resourceName === resourceName
    );
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.#linkWatch[Symbol.dispose]();
    await this.#queue;
    for (const name of [...this.#pools.keys()]) await this.#remove(name);
  }

  /** Reconciliations run one after the other, each against the latest wish. */
  #enqueue(): Promise<void> {
    const done = this.#queue.then(() => this.#reconcile());
    this.#queue = done.catch((error) => this.#log.error("cannot reconcile resources", { error }));
    return done;
  }

  async #reconcile(): Promise<void> {
    const desired = new Map(this.#desired().map((r) => [r.name, r]));
    for (const name of [...this.#pools.keys()]) if (!desired.has(name)) await this.#remove(name);
    for (const [name, resource] of desired) {
      const pool = this.#pools.get(name);
      if (pool && isHostdevPool(pool) !== isHostdevResource(resource)) await this.#remove(name);
      const kept = this.#pools.get(name);
      if (!kept) this.#add(resource);
      else if (JSON.stringify(kept.config) !== JSON.stringify(resource)) {
        this.#log.info("resource reconfigured", {
          resource: kept.resourceName,
          from: kept.config,
          to: resource,
        });
        reconfigure(kept, resource);
      }
    }
    // A changed hostdev entry can move a NIC between hostdev resources.
    for (const pool of this.#pools.values()) if (isHostdevPool(pool)) pool.refresh();
  }

  #desired(): AnyResourceConfig[] {
    if (!this.#config.autoDiscover) return [...this.#config.resources, ...this.#config.hostdevResources];
    const { resources, skipped } = discoverResources(this.context.links.all());
    if (skipped.length > 0) {
      this.#log.warn("links not usable as resource names were skipped", { links: skipped });
    }
    return resources;
  }

  #add(resource: AnyResourceConfig): void {
    const pool = isHostdevResource(resource)
      ? new HostdevPool(resource, { ...this.context, nics: () => this.#nicsOf(resource.name) })
      : new MacvtapPool(resource, this.context);
    this.#pools.set(resource.name, pool);
    this.#log.info("resource added", { resource: pool.resourceName, config: resource });
    this.plugins.add(pool);
  }

  /** The NICs hostdev resource `name` owns now. */
  #nicsOf(name: string): Link[] {
    const macvtapLowers = new Set(this.#config.resources.map((r) => r.lowerDevice));
    return assignNics(this.#config.hostdevResources, this.context.links.all(), macvtapLowers).get(name) ?? [];
  }

  async #remove(name: string): Promise<void> {
    const pool = this.#pools.get(name)!;
    this.#pools.delete(name);
    this.#log.info("resource removed", { resource: pool.resourceName });
    await this.plugins.remove(pool.socketName);
    pool[Symbol.dispose]();
  }
}

function isHostdevPool(pool: Pool): pool is HostdevPool {
  return pool instanceof HostdevPool;
}

function reconfigure(pool: Pool, resource: AnyResourceConfig): void {
  if (isHostdevPool(pool)) pool.reconfigure(resource as HostdevResourceConfig);
  else pool.reconfigure(resource as ResourceConfig);
}
