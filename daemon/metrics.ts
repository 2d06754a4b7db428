/**
 * Prometheus text metrics and a health endpoint (`--metrics ADDR`).
 *
 * Counters are kept here and bumped through the observer hooks of the pools, plugin runners, config
 * source and stale link collector; gauges (devices per resource and health, registration, broker) are
 * read from the live objects at scrape time.
 *
 * @module
 */
import type { Logger } from "./log.ts";

/** Label set of one sample. */
export type Labels = Record<string, string>;

/** A gauge value read at scrape time. */
export interface GaugeSample {
  name: string;
  labels: Labels;
  value: number;
}

interface Family {
  help: string;
  type: "counter" | "gauge";
}

/** Every metric this daemon exports. */
export const METRIC_FAMILIES: Record<string, Family> = {
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
    help: "Devices allocated (macvtaps created by Allocate).",
  },
  macvtap_dp_allocation_failures_total: { type: "counter", help: "Allocate calls that failed." },
  macvtap_dp_rpc_errors_total: { type: "counter", help: "Device plugin RPCs answered with an error." },
  macvtap_dp_registrations_total: { type: "counter", help: "Successful registrations with the kubelet." },
  macvtap_dp_registration_failures_total: { type: "counter", help: "Failed attempts to serve and register." },
  macvtap_dp_stale_links_deleted_total: {
    type: "counter",
    help: "Stale temp links deleted by the collector.",
  },
  macvtap_dp_config_reloads_total: { type: "counter", help: "Config file reloads, by result." },
};

function labelText(labels: Labels): string {
  const parts = Object.entries(labels).map(([k, v]) =>
    `${k}="${v.replace(/[\\"\n]/g, (c) => c === "\n" ? "\\n" : `\\${c}`)}"`
  );
  return parts.length ? `{${parts.join(",")}}` : "";
}

/** Counter storage plus Prometheus text rendering. */
export class Metrics {
  #counters = new Map<string, Map<string, { labels: Labels; value: number }>>();

  /** Adds `by` to a counter. */
  inc(name: keyof typeof METRIC_FAMILIES, labels: Labels = {}, by = 1): void {
    const series = this.#counters.get(name) ?? new Map();
    this.#counters.set(name, series);
    const key = labelText(labels);
    const sample = series.get(key) ?? { labels, value: 0 };
    sample.value += by;
    series.set(key, sample);
  }

  /** The current value of a counter (0 when never bumped). */
  value(name: keyof typeof METRIC_FAMILIES, labels: Labels = {}): number {
    return this.#counters.get(name)?.get(labelText(labels))?.value ?? 0;
  }

  /** Prometheus text exposition format 0.0.4. */
  render(gauges: GaugeSample[]): string {
    const lines: string[] = [];
    for (const [name, family] of Object.entries(METRIC_FAMILIES)) {
      const samples = family.type === "counter"
        ? [...(this.#counters.get(name)?.values() ?? [])]
        : gauges.filter((g) => g.name === name);
      lines.push(`# HELP ${name} ${family.help}`, `# TYPE ${name} ${family.type}`);
      for (const sample of samples) lines.push(`${name}${labelText(sample.labels)} ${sample.value}`);
    }
    return lines.join("\n") + "\n";
  }
}

/** What /healthz reports. */
export interface HealthReport {
  ok: boolean;
  [detail: string]: unknown;
}

/** A running metrics endpoint. */
export interface MetricsServer extends AsyncDisposable {
  /** The port actually bound (useful with port 0). */
  port: number;
}

/** Parses `HOST:PORT` (`:9120` means all addresses). */
export function parseListenAddress(address: string): { hostname: string; port: number } {
  const match = /^(.*):(\d{1,5})$/.exec(address);
  const port = match ? Number(match[2]) : NaN;
  if (!match || port > 65535) throw new Error(`Cannot use metrics address "${address}": expected HOST:PORT`);
  const hostname = match[1].replace(/^\[(.*)\]$/, "$1") || "0.0.0.0";
  return { hostname, port };
}

/**
 * Serves `/metrics` and `/healthz` (200 when healthy, else 503; JSON body).
 *
 * Requires `--allow-net=<host>:<port>`.
 */
export function serveMetrics(
  address: { hostname: string; port: number },
  render: () => string,
  health: () => HealthReport,
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
    }, (request) => {
      const path = new URL(request.url).pathname;
      if (path === "/metrics") {
        return new Response(render(), {
          headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" },
        });
      }
      if (path === "/healthz") {
        const report = health();
        return Response.json(report, { status: report.ok ? 200 : 503 });
      }
      return new Response("not found\n", { status: 404 });
    });
  });
}
