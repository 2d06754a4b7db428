/**
 * The device plugin daemon assembled: live link table → resource pools (configured or discovered) →
 * one kubelet plugin server per pool, plus stale link collection and metrics.
 *
 * `main.ts` builds the OS-facing parts (broker, config source) and hands them in; tests hand in fakes.
 *
 * @module
 */
import type { ConfigSource } from "./config_source.ts";
import type { HostLinks } from "./host/host_links.ts";
import { PluginManager } from "./kubelet/plugin_manager.ts";
import type { RunnerOptions } from "./kubelet/plugin_runner.ts";
import { listAllocatedDevices } from "./kubelet/pod_resources_client.ts";
import type { Logger } from "./log.ts";
import { AllocationLedger } from "./macvtap/allocation_ledger.ts";
import { LinkTable } from "./macvtap/link_table.ts";
import { ResourceSet } from "./macvtap/resource_set.ts";
import { type HeldDevices, startStaleLinkCollector } from "./macvtap/stale_link_gc.ts";
import { type GaugeSample, type HealthReport, Metrics, type MetricsServer, serveMetrics } from "./metrics.ts";

/** Settings of a daemon. */
export interface DaemonOptions {
  /** The kubelet's device-plugins directory. */
  pluginDir: string;
  /** The kubelet's pod-resources socket, asked by the stale link collector. */
  podResourcesSocket: string;
  /** How often to collect stale temp links; 0 turns collection off. */
  gcIntervalMs: number;
  /** Temp links younger than this are never collected. */
  gcGraceMs: number;
  /** Where to serve /metrics and /healthz, if anywhere. */
  metricsAddress?: { hostname: string; port: number } | null;
  /** Test knobs for the plugin runners (retry delays, socket check interval …). */
  pluginTuning?: Partial<Omit<RunnerOptions, "binder" | "log" | "observer">>;
}

/** The parts a daemon is built from; the caller keeps ownership of them. */
export interface DaemonParts {
  hostLinks: HostLinks;
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
  ) {}

  /** Starts everything; resolves once the first resources are being served. */
  static async start(options: DaemonOptions, parts: DaemonParts): Promise<Daemon> {
    const { hostLinks, config, log } = parts;
    const metrics = parts.metrics ?? new Metrics();
    const links = await LinkTable.start(hostLinks, log);
    const ledger = new AllocationLedger();
    const plugins = new PluginManager({
      ...options.pluginTuning,
      pluginDir: options.pluginDir,
      log,
      observer: {
        registered: (resource) => metrics.inc("macvtap_dp_registrations_total", { resource }),
        registrationFailed: (resource) => metrics.inc("macvtap_dp_registration_failures_total", { resource }),
        rpcFailed: (resource, rpc) => metrics.inc("macvtap_dp_rpc_errors_total", { resource, rpc }),
      },
    });
    const observer = {
      allocated: (resource: string, devices: number) =>
        metrics.inc("macvtap_dp_allocations_total", { resource }, devices),
      allocateFailed: (resource: string) => metrics.inc("macvtap_dp_allocation_failures_total", { resource }),
    };
    const resources = new ResourceSet({ hostLinks, links, ledger, log, observer }, plugins);
    const daemon = new Daemon(parts, metrics, links, plugins, resources);
    const stack = daemon.#stack;
    stack.use(links);
    stack.use(plugins);
    stack.use(resources);
    plugins.start();
    await resources.apply(config.current);
    stack.use(config.onChange((next) => void resources.apply(next)));
    if (options.gcIntervalMs > 0) {
      stack.use(startStaleLinkCollector({
        hostLinks,
        ledger,
        graceMs: options.gcGraceMs,
        log,
        listHeldDevices: parts.listHeldDevices ?? (() => listAllocatedDevices(options.podResourcesSocket)),
        onDeleted: (count) => metrics.inc("macvtap_dp_stale_links_deleted_total", {}, count),
      }, options.gcIntervalMs));
    }
    if (options.metricsAddress) {
      daemon.#metricsServer = stack.use(
        await serveMetrics(options.metricsAddress, () => daemon.renderMetrics(), () => daemon.health(), log),
      );
    }
    log.info("daemon started", {
      pluginDir: options.pluginDir,
      config: config.origin,
      autoDiscover: config.current.autoDiscover,
      resources: resources.pools().map((p) => p.resourceName),
    });
    return daemon;
  }

  /** The port /metrics is served on, if any. */
  get metricsPort(): number | null {
    return this.#metricsServer?.port ?? null;
  }

  /** What /healthz reports: healthy while the link broker answers. */
  health(): HealthReport {
    return {
      ok: this.parts.hostLinks.available,
      linkBroker: this.parts.hostLinks.available ? "up" : "down",
      resources: Object.fromEntries(
        [...this.plugins.status()].map((
          [resource, registered],
        ) => [resource, registered ? "registered" : "not registered"]),
      ),
    };
  }

  /** The /metrics text. */
  renderMetrics(): string {
    const gauges: GaugeSample[] = [
      { name: "macvtap_dp_link_broker_up", labels: {}, value: this.parts.hostLinks.available ? 1 : 0 },
    ];
    const memory = Deno.memoryUsage();
    for (const kind of ["rss", "heapTotal", "heapUsed", "external"] as const) {
      gauges.push({ name: "macvtap_dp_memory_bytes", labels: { kind }, value: memory[kind] });
    }
    for (const [resource, registered] of this.plugins.status()) {
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
