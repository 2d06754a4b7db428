/**
 * Prometheus text metrics, a liveness and a readiness endpoint (`--metrics ADDR`).
 *
 * Counters and histograms are kept here and bumped through the observer hooks of the pools, plugin runners,
 * config source and allocation keeper; every per-resource series is declared at 0 as soon as the resource
 * exists ({@link Metrics.declareResource}), so a rate() or an alert sees it before the first event. Gauges
 * (devices per resource and health, registration, broker, build info, process_*) are read from the live
 * objects at scrape time.
 *
 * @module
 */
import process from "node:process";
import type { Logger } from "./log.ts";
import { VERSION } from "./version.ts";

/** Label set of one sample. */
export type Labels = Record<string, string>;

/** A value read at scrape time (gauges, and counters the runtime keeps, like CPU seconds). */
export interface ScrapedSample {
  name: string;
  labels: Labels;
  value: number;
}

interface Family {
  help: string;
  type: "counter" | "gauge" | "histogram";
  /** Kept in {@link Metrics} (bumped by events); otherwise read at scrape time. */
  stored?: boolean;
  /** Series labelled only by resource, declared at 0 for each resource. */
  perResource?: boolean;
}

/** The RPCs that can answer an error (the others always succeed): their error counters start at 0. */
export const FALLIBLE_RPCS = ["Allocate", "GetPreferredAllocation"];

/** Upper bounds (seconds) of the Allocate latency buckets: a fresh device takes ~5-15 ms here. */
export const ALLOCATE_BUCKETS = [0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Every metric this daemon exports. */
export const METRIC_FAMILIES: Record<string, Family> = {
  macvtap_dp_build_info: { type: "gauge", help: "1, labelled with the daemon's version and its Deno." },
  macvtap_dp_devices: { type: "gauge", help: "Devices advertised per resource, by health." },
  macvtap_dp_resource_registered: {
    type: "gauge",
    help: "1 when the resource is registered with the kubelet.",
  },
  macvtap_dp_link_broker_up: { type: "gauge", help: "1 when the link broker answers." },
  macvtap_dp_memory_bytes: {
    type: "gauge",
    help: "Memory of the daemon process (Deno.memoryUsage), by kind.",
  },
  macvtap_dp_allocations_total: {
    type: "counter",
    stored: true,
    perResource: true,
    help: "Devices allocated (macvtaps created or kept by Allocate).",
  },
  macvtap_dp_allocation_failures_total: {
    type: "counter",
    stored: true,
    perResource: true,
    help: "Allocate calls that failed.",
  },
  macvtap_dp_allocate_duration_seconds: {
    type: "histogram",
    stored: true,
    perResource: true,
    help: "Time to answer an Allocate call, successful or not.",
  },
  macvtap_dp_rpc_errors_total: {
    type: "counter",
    stored: true,
    help: "Device plugin RPCs answered with an error, by rpc.",
  },
  macvtap_dp_registrations_total: {
    type: "counter",
    stored: true,
    perResource: true,
    help: "Successful registrations with the kubelet.",
  },
  macvtap_dp_registration_failures_total: {
    type: "counter",
    stored: true,
    perResource: true,
    help: "Failed attempts to serve and register.",
  },
  macvtap_dp_links_restored_total: {
    type: "counter",
    stored: true,
    perResource: true,
    help: "Temp links of allocated devices re-created at their ifindex (after a reboot or a sandbox loss).",
  },
  macvtap_dp_link_restore_failures_total: {
    type: "counter",
    stored: true,
    perResource: true,
    help: "Temp links of allocated devices that could not be re-created.",
  },
  macvtap_dp_stale_links_deleted_total: {
    type: "counter",
    stored: true,
    help: "Stale temp links deleted by the collector.",
  },
  macvtap_dp_config_reloads_total: { type: "counter", stored: true, help: "Config file reloads, by result." },
  process_cpu_seconds_total: { type: "counter", help: "User and system CPU time spent, in seconds." },
  process_resident_memory_bytes: { type: "gauge", help: "Resident memory size in bytes." },
  process_start_time_seconds: {
    type: "gauge",
    help: "Start time of the process since the epoch, in seconds.",
  },
};

/** A metric name this daemon exports. */
export type MetricName = keyof typeof METRIC_FAMILIES;

function labelText(labels: Labels): string {
  const parts = Object.entries(labels).map(([k, v]) =>
    `${k}="${v.replace(/[\\"\n]/g, (c) => c === "\n" ? "\\n" : `\\${c}`)}"`
  );
  return parts.length ? `{${parts.join(",")}}` : "";
}

/** One histogram series: cumulative counts come at render time. */
interface HistogramSeries {
  labels: Labels;
  counts: number[];
  sum: number;
  count: number;
}

/** Counter and histogram storage plus Prometheus text rendering. */
export class Metrics {
  #counters = new Map<string, Map<string, { labels: Labels; value: number }>>();
  #histograms = new Map<string, Map<string, HistogramSeries>>();

  constructor() {
    this.inc("macvtap_dp_stale_links_deleted_total", {}, 0);
  }

  /** Adds `by` to a counter. */
  inc(name: MetricName, labels: Labels = {}, by = 1): void {
    const series = this.#counters.get(name) ?? new Map();
    this.#counters.set(name, series);
    const key = labelText(labels);
    const sample = series.get(key) ?? { labels, value: 0 };
    sample.value += by;
    series.set(key, sample);
  }

  /** Records one observation (seconds) in a histogram. */
  observe(name: MetricName, labels: Labels, value: number): void {
    const series = this.#histogram(name, labels);
    const bucket = ALLOCATE_BUCKETS.findIndex((bound) => value <= bound);
    if (bucket >= 0) series.counts[bucket] = (series.counts[bucket] ?? 0) + 1;
    series.sum += value;
    series.count++;
  }

  /** Declares every per-resource series of `resource` at 0 (existing values are kept). */
  declareResource(resource: string): void {
    for (const [name, family] of Object.entries(METRIC_FAMILIES)) {
      if (!family.perResource) continue;
      if (family.type === "histogram") this.#histogram(name, { resource });
      else this.inc(name, { resource }, 0);
    }
    for (const rpc of FALLIBLE_RPCS) this.inc("macvtap_dp_rpc_errors_total", { resource, rpc }, 0);
  }

  /** The current value of a counter (0 when never bumped). */
  value(name: MetricName, labels: Labels = {}): number {
    return this.#counters.get(name)?.get(labelText(labels))?.value ?? 0;
  }

  /** Observations recorded in a histogram series. */
  observations(name: MetricName, labels: Labels): number {
    return this.#histograms.get(name)?.get(labelText(labels))?.count ?? 0;
  }

  /** Prometheus text exposition format 0.0.4; `scraped` holds the values read now. */
  render(scraped: ScrapedSample[]): string {
    const lines: string[] = [];
    for (const [name, family] of Object.entries(METRIC_FAMILIES)) {
      lines.push(`# HELP ${name} ${family.help}`, `# TYPE ${name} ${family.type}`);
      if (family.type === "histogram") {
        for (const series of this.#histograms.get(name)?.values() ?? []) {
          lines.push(...histogramLines(name, series));
        }
        continue;
      }
      const samples = family.stored
        ? [...(this.#counters.get(name)?.values() ?? [])]
        : scraped.filter((sample) => sample.name === name);
      for (const sample of samples) lines.push(`${name}${labelText(sample.labels)} ${sample.value}`);
    }
    return lines.join("\n") + "\n";
  }

  #histogram(name: string, labels: Labels): HistogramSeries {
    const all = this.#histograms.get(name) ?? new Map<string, HistogramSeries>();
    this.#histograms.set(name, all);
    const key = labelText(labels);
    const series = all.get(key) ?? { labels, counts: ALLOCATE_BUCKETS.map(() => 0), sum: 0, count: 0 };
    all.set(key, series);
    return series;
  }
}

function histogramLines(name: string, series: HistogramSeries): string[] {
  const lines: string[] = [];
  let cumulative = 0;
  ALLOCATE_BUCKETS.forEach((bound, index) => {
    cumulative += series.counts[index] ?? 0;
    lines.push(`${name}_bucket${labelText({ ...series.labels, le: String(bound) })} ${cumulative}`);
  });
  lines.push(`${name}_bucket${labelText({ ...series.labels, le: "+Inf" })} ${series.count}`);
  lines.push(`${name}_sum${labelText(series.labels)} ${series.sum}`);
  lines.push(`${name}_count${labelText(series.labels)} ${series.count}`);
  return lines;
}

/**
 * The build info and the standard `process_*` metrics the sandbox can read: CPU time (getrusage), resident
 * memory and the start time. `process_open_fds`, `process_max_fds` and `process_virtual_memory_bytes` need
 * /proc, which the daemon's sandbox refuses, so they are not exported.
 */
export function processSamples(): ScrapedSample[] {
  const cpu = process.cpuUsage();
  return [
    { name: "macvtap_dp_build_info", labels: { version: VERSION, deno: Deno.version.deno }, value: 1 },
    { name: "process_cpu_seconds_total", labels: {}, value: (cpu.user + cpu.system) / 1e6 },
    { name: "process_resident_memory_bytes", labels: {}, value: Deno.memoryUsage().rss },
    { name: "process_start_time_seconds", labels: {}, value: Math.floor(performance.timeOrigin / 1000) },
  ];
}

/** What /healthz reports. */
export interface HealthReport {
  ok: boolean;
  [detail: string]: unknown;
}

/** What /readyz reports: ready once every configured resource is registered with the kubelet. */
export interface ReadinessReport {
  ready: boolean;
  resources: Record<string, "registered" | "not registered">;
}

/** A running metrics endpoint. */
export interface MetricsServer extends AsyncDisposable {
  /** The port actually bound (useful with port 0). */
  port: number;
}

/** Parses `HOST:PORT` (`:9120` means all addresses). */
export function parseListenAddress(address: string): { hostname: string; port: number } {
  const [, host, digits] = /^(.*):(\d{1,5})$/.exec(address) ?? [];
  const port = Number(digits);
  if (host === undefined || digits === undefined || port > 65535) {
    throw new Error(`Cannot use metrics address "${address}": expected HOST:PORT`);
  }
  const hostname = host.replace(/^\[(.*)\]$/, "$1") || "0.0.0.0";
  return { hostname, port };
}

/** What the endpoint serves. */
export interface MetricsHandlers {
  /** The /metrics text. */
  render: () => string;
  /** Liveness (/healthz): 200 when ok, else 503. */
  health: () => HealthReport;
  /** Readiness (/readyz): 200 when ready, else 503. */
  readiness: () => ReadinessReport;
}

/**
 * Serves `/metrics`, `/healthz` (liveness) and `/readyz` (readiness); the probes answer JSON, 503 when not
 * ok or not ready.
 *
 * Requires `--allow-net=<host>:<port>`.
 */
export function serveMetrics(
  address: { hostname: string; port: number },
  handlers: MetricsHandlers,
  log: Logger,
): Promise<MetricsServer> {
  return new Promise((resolve) => {
    const server = Deno.serve({
      hostname: address.hostname,
      port: address.port,
      onListen: ({ port }) => {
        log.info("metrics listening", { hostname: address.hostname, port });
        resolve({ port, [Symbol.asyncDispose]: () => server.shutdown() });
      },
    }, (request) => answer(new URL(request.url).pathname, handlers));
  });
}

function answer(path: string, handlers: MetricsHandlers): Response {
  if (path === "/metrics") {
    return new Response(handlers.render(), {
      headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" },
    });
  }
  if (path === "/healthz") {
    const report = handlers.health();
    return Response.json(report, { status: report.ok ? 200 : 503 });
  }
  if (path === "/readyz") {
    const report = handlers.readiness();
    return Response.json(report, { status: report.ready ? 200 : 503 });
  }
  return new Response("not found\n", { status: 404 });
}
