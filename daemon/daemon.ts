/**
 * The device plugin daemon assembled: live link table → resource pools (configured or discovered) →
 * one kubelet plugin server per pool, plus the allocation checkpoint and its keeper (re-creating links
 * pods still need, collecting stale ones) and metrics.
 *
 * Start-up order matters: the temp links of recorded allocations are re-created at their ifindexes before
 * any resource is served, so that no Allocate made meanwhile takes one of those ifindexes.
 *
 * `main.ts` builds the OS-facing parts (broker, config source) and hands them in; tests hand in fakes.
 *
 * @module
 */
import type { ConfigSource } from "./config_source.ts";
import type { NodeLinks } from "./links/node_links.ts";
import { PluginManager } from "./kubelet/plugin_manager.ts";
import type { RunnerOptions } from "./kubelet/plugin_runner.ts";
import { listAllocatedDevices } from "./kubelet/pod_resources_client.ts";
import type { Logger } from "./log.ts";
import {
  AllocationCheckpoint,
  type AllocationRecord,
  CHECKPOINT_DIR_NAME,
} from "./macvtap/allocation_checkpoint.ts";
import { AllocationKeeper } from "./macvtap/allocation_keeper.ts";
import { LinkTable } from "./resources/link_table.ts";
import { ResourceSet } from "./resource_set.ts";
import { tempLinkName } from "./macvtap/temp_link_name.ts";
import { VERSION } from "./version.ts";
import type { HeldDevices } from "./resources/held_devices.ts";
import {
  type HealthReport,
  Metrics,
  type MetricsServer,
  processSamples,
  type ReadinessReport,
  type ScrapedSample,
  serveMetrics,
} from "./metrics.ts";

/** Settings of a daemon. */
export interface DaemonOptions {
  /** The kubelet's device-plugins directory. */
  pluginDir: string;
  /** The kubelet's pod-resources socket, asked by the stale link collector. */
  podResourcesSocket: string;
  /**
   * How often to ask pod-resources, re-create the temp links pods still need and collect stale ones; 0
   * turns that off (links are then only re-created at start-up).
   */
  gcIntervalMs: number;
  /**
   * Temp links and allocations younger than this are never collected; after a kubelet (re)start,
   * collection also waits until the pod list has been stable this long.
   */
  gcGraceMs: number;
  /**
   * Where the allocation checkpoint is kept (default `<pluginDir>/macvtap.network.kubevirt.io.state`, which
   * needs no permission beyond the plugin directory's); null keeps it in memory only.
   */
  stateDir?: string | null;
  /** Where to serve /metrics and /healthz, if anywhere. */
  metricsAddress?: { hostname: string; port: number } | null;
  /** Test knobs for the plugin runners (retry delays, socket check interval …). */
  pluginTuning?: Partial<Omit<RunnerOptions, "binder" | "log" | "observer">>;
}

/** The parts a daemon is built from; the caller keeps ownership of them. */
export interface DaemonParts {
  nodeLinks: NodeLinks;
  config: ConfigSource;
  log: Logger;
  metrics?: Metrics;
  /** Devices held by active pods (default: pod-resources List on `podResourcesSocket`). */
  listHeldDevices?: () => Promise<HeldDevices[]>;
}

/** A running daemon. */
export class Daemon implements AsyncDisposable {
  #stack = new AsyncDisposableStack();
  #metricsServer: MetricsServer | null = null;

  private constructor(
    private parts: DaemonParts,
    readonly metrics: Metrics,
    readonly links: LinkTable,
    readonly plugins: PluginManager,
    readonly resources: ResourceSet,
    readonly checkpoint: AllocationCheckpoint,
    readonly keeper: AllocationKeeper,
  ) {}

  /** Starts everything; resolves once the first resources are being served. */
  static async start(options: DaemonOptions, parts: DaemonParts): Promise<Daemon> {
    const { nodeLinks, config, log } = parts;
    const metrics = parts.metrics ?? new Metrics();
    const stateDir = options.stateDir === undefined
      ? `${options.pluginDir}/${CHECKPOINT_DIR_NAME}`
      : options.stateDir;
    const checkpoint = await AllocationCheckpoint.open(stateDir || null, { log });
    const links = await LinkTable.start(nodeLinks, log);
    const plugins = new PluginManager({
      ...options.pluginTuning,
      pluginDir: options.pluginDir,
      log,
      observer: {
        registered: (resource) => metrics.inc("macvtap_dp_registrations_total", { resource }),
        registrationFailed: (resource) => metrics.inc("macvtap_dp_registration_failures_total", { resource }),
        rpcFailed: (resource, rpc) => metrics.inc("macvtap_dp_rpc_errors_total", { resource, rpc }),
        allocateTimed: (resource, seconds) =>
          metrics.observe("macvtap_dp_allocate_duration_seconds", { resource }, seconds),
      },
    });
    const observer = {
      allocated: (resource: string, devices: number) =>
        metrics.inc("macvtap_dp_allocations_total", { resource }, devices),
      allocateFailed: (resource: string) => metrics.inc("macvtap_dp_allocation_failures_total", { resource }),
    };
    const resources = new ResourceSet({ nodeLinks, links, checkpoint, log, observer }, plugins);
    const keeper = new AllocationKeeper({
      nodeLinks,
      links,
      checkpoint,
      graceMs: options.gcGraceMs,
      log,
      listHeldDevices: parts.listHeldDevices ?? (() => listAllocatedDevices(options.podResourcesSocket)),
      restore: (record) => counted(metrics, record, restoreThroughPool(resources, nodeLinks, record)),
      onDeleted: (count) => metrics.inc("macvtap_dp_stale_links_deleted_total", {}, count),
    });
    const daemon = new Daemon(parts, metrics, links, plugins, resources, checkpoint, keeper);
    try {
      await daemon.#serve(options, config, log);
    } catch (error) {
      await daemon[Symbol.asyncDispose]();
      throw error;
    }
    return daemon;
  }

  /** Re-creates recorded links, then serves, keeps allocations and (optionally) metrics. */
  async #serve(options: DaemonOptions, config: DaemonParts["config"], log: Logger): Promise<void> {
    const stack = this.#stack;
    stack.use(this.links);
    stack.use(this.plugins);
    stack.use(this.resources);
    await this.keeper.restoreAll().catch((error) => {
      log.error("cannot re-create the temp links of recorded allocations at start-up", { error });
    });
    stack.use(this.plugins.onKubeletRestarted(() => this.keeper.kubeletRestarted()));
    this.plugins.start();
    await this.resources.apply(config.current);
    stack.use(config.onChange((next) => void this.resources.apply(next)));
    stack.use(this.keeper);
    if (options.gcIntervalMs > 0) this.keeper.start(options.gcIntervalMs);
    if (options.metricsAddress) {
      this.#metricsServer = stack.use(
        await serveMetrics(options.metricsAddress, {
          render: () => this.renderMetrics(),
          health: () => this.health(),
          readiness: () => this.readiness(),
        }, log),
      );
    }
    log.info("daemon started", {
      version: VERSION,
      pluginDir: options.pluginDir,
      config: config.origin,
      autoDiscover: config.current.autoDiscover,
      resources: this.resources.pools().map((p) => p.resourceName),
      checkpoint: this.checkpoint.dir,
      allocations: this.checkpoint.all().length,
    });
  }

  /** The port /metrics is served on, if any. */
  get metricsPort(): number | null {
    return this.#metricsServer?.port ?? null;
  }

  /** What /healthz reports: healthy while the link broker answers. */
  health(): HealthReport {
    return {
      ok: this.parts.nodeLinks.available,
      linkBroker: this.parts.nodeLinks.available ? "up" : "down",
      resources: Object.fromEntries(
        [...this.plugins.status()].map((
          [resource, registered],
        ) => [resource, registered ? "registered" : "not registered"]),
      ),
    };
  }

  /**
   * Readiness: ready once every resource served is registered with the kubelet (for a readiness probe;
   * /healthz stays liveness). With no resource at all (auto-discovery on a node without NICs) it is ready.
   */
  readiness(): ReadinessReport {
    const resources = Object.fromEntries(
      [...this.plugins.status()].map(([resource, registered]) => [
        resource,
        registered ? "registered" as const : "not registered" as const,
      ]),
    );
    return { ready: this.plugins.allRegistered(), resources };
  }

  /** The /metrics text. */
  renderMetrics(): string {
    const gauges: ScrapedSample[] = [
      ...processSamples(),
      { name: "macvtap_dp_link_broker_up", labels: {}, value: this.parts.nodeLinks.available ? 1 : 0 },
    ];
    const memory = Deno.memoryUsage();
    for (const kind of ["rss", "heapTotal", "heapUsed", "external"] as const) {
      gauges.push({ name: "macvtap_dp_memory_bytes", labels: { kind }, value: memory[kind] });
    }
    for (const [resource, registered] of this.plugins.status()) {
      this.metrics.declareResource(resource);
      gauges.push({
        name: "macvtap_dp_resource_registered",
        labels: { resource },
        value: registered ? 1 : 0,
      });
    }
    for (const pool of this.resources.pools()) {
      const devices = pool.devices();
      for (const health of ["Healthy", "Unhealthy"]) {
        const value = devices.filter((d) => d.health === health).length;
        gauges.push({ name: "macvtap_dp_devices", labels: { resource: pool.resourceName, health }, value });
      }
    }
    return this.metrics.render(gauges);
  }

  /** Stops serving (sockets removed, streams ended), collecting and watching. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.#stack.disposeAsync();
  }
}

/** Counts a restore attempt of a record's temp link, by resource and outcome. */
function counted(metrics: Metrics, record: AllocationRecord, restore: Promise<number>): Promise<number> {
  const labels = { resource: record.resourceName };
  return restore.then((ifindex) => {
    metrics.inc("macvtap_dp_links_restored_total", labels);
    return ifindex;
  }, (error) => {
    metrics.inc("macvtap_dp_link_restore_failures_total", labels);
    throw error;
  });
}

/** Re-creates a record's temp link through its pool (queued with Allocate), or directly if none serves it. */
function restoreThroughPool(
  resources: ResourceSet,
  nodeLinks: NodeLinks,
  record: AllocationRecord,
): Promise<number> {
  const pool = resources.macvtapPool(record.resourceName);
  if (pool) return pool.restore(record);
  const { deviceId, lower, mode, ifindex } = record;
  return nodeLinks.createMacvtap({ name: tempLinkName(deviceId), lower, mode, ifindex }).then((r) =>
    r.ifindex
  );
}
