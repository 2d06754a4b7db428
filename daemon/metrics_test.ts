import assert from "node:assert/strict";
import { ALLOCATE_BUCKETS, Metrics, parseListenAddress, processSamples, serveMetrics } from "./metrics.ts";
import { silentLogger } from "./log.ts";
import { parsePrometheusText } from "./testing/prometheus_text.ts";
import { VERSION } from "./version.ts";

const ETH0 = "macvtap.network.kubevirt.io/eth0";

Deno.test("Metrics renders counters and gauges in Prometheus text format", () => {
  const metrics = new Metrics();
  metrics.inc("macvtap_dp_allocations_total", { resource: ETH0 }, 2);
  metrics.inc("macvtap_dp_allocations_total", { resource: ETH0 });
  metrics.inc("macvtap_dp_config_reloads_total", { result: "error" });
  const text = metrics.render([
    { name: "macvtap_dp_devices", labels: { resource: ETH0, health: "Healthy" }, value: 100 },
  ]);
  const parsed = parsePrometheusText(text);
  assert.equal(parsed.types.get("macvtap_dp_devices"), "gauge");
  assert.equal(parsed.value("macvtap_dp_devices", { resource: ETH0, health: "Healthy" }), 100);
  assert.equal(parsed.value("macvtap_dp_allocations_total", { resource: ETH0 }), 3);
  assert.equal(parsed.value("macvtap_dp_config_reloads_total", { result: "error" }), 1);
  assert.equal(metrics.value("macvtap_dp_allocations_total", { resource: ETH0 }), 3);
});

Deno.test("every per-resource counter and the Allocate histogram start at 0 once a resource is declared", () => {
  const metrics = new Metrics();
  metrics.declareResource(ETH0);
  metrics.inc("macvtap_dp_allocations_total", { resource: ETH0 }, 2);
  metrics.declareResource(ETH0); // declaring again keeps the values
  const parsed = parsePrometheusText(metrics.render([]));
  for (
    const name of [
      "macvtap_dp_allocation_failures_total",
      "macvtap_dp_registrations_total",
      "macvtap_dp_registration_failures_total",
      "macvtap_dp_links_restored_total",
      "macvtap_dp_link_restore_failures_total",
      "macvtap_dp_allocate_duration_seconds_count",
    ]
  ) {
    assert.equal(parsed.value(name, { resource: ETH0 }), 0, name);
  }
  assert.equal(parsed.value("macvtap_dp_allocations_total", { resource: ETH0 }), 2);
  assert.equal(parsed.value("macvtap_dp_rpc_errors_total", { resource: ETH0, rpc: "Allocate" }), 0);
  assert.equal(parsed.value("macvtap_dp_stale_links_deleted_total", {}), 0);
});

Deno.test("the Allocate histogram has cumulative buckets, +Inf, _sum and _count", () => {
  const metrics = new Metrics();
  for (const seconds of [0.004, 0.008, 0.009, 0.2, 30]) {
    metrics.observe("macvtap_dp_allocate_duration_seconds", { resource: ETH0 }, seconds);
  }
  const parsed = parsePrometheusText(metrics.render([]));
  assert.equal(parsed.types.get("macvtap_dp_allocate_duration_seconds"), "histogram");
  const bucket = (le: string) =>
    parsed.value("macvtap_dp_allocate_duration_seconds_bucket", { resource: ETH0, le });
  assert.equal(bucket("0.0025"), 0);
  assert.equal(bucket("0.005"), 1);
  assert.equal(bucket("0.01"), 3);
  assert.equal(bucket("0.25"), 4);
  assert.equal(bucket("10"), 4);
  assert.equal(bucket("+Inf"), 5);
  assert.equal(parsed.samples.filter((s) => s.name.endsWith("_bucket")).length, ALLOCATE_BUCKETS.length + 1);
  assert.equal(parsed.value("macvtap_dp_allocate_duration_seconds_count", { resource: ETH0 }), 5);
  const sum = parsed.value("macvtap_dp_allocate_duration_seconds_sum", { resource: ETH0 })!;
  assert.ok(Math.abs(sum - 30.221) < 1e-9, String(sum));
  assert.equal(metrics.observations("macvtap_dp_allocate_duration_seconds", { resource: ETH0 }), 5);
});

Deno.test("processSamples(): build info with the version, and the standard process_* metrics", () => {
  const parsed = parsePrometheusText(new Metrics().render(processSamples()));
  assert.equal(parsed.value("macvtap_dp_build_info", { version: VERSION, deno: Deno.version.deno }), 1);
  assert.equal(parsed.types.get("process_cpu_seconds_total"), "counter");
  assert.ok(parsed.value("process_cpu_seconds_total", {})! > 0);
  assert.ok(parsed.value("process_resident_memory_bytes", {})! > 1 << 20);
  const start = parsed.value("process_start_time_seconds", {})!;
  assert.ok(start <= Date.now() / 1000 && start > Date.now() / 1000 - 3600, String(start));
});

Deno.test("parseListenAddress() reads HOST:PORT forms", () => {
  assert.deepEqual(parseListenAddress("127.0.0.1:9120"), { hostname: "127.0.0.1", port: 9120 });
  assert.deepEqual(parseListenAddress(":9120"), { hostname: "0.0.0.0", port: 9120 });
  assert.deepEqual(parseListenAddress("[::1]:80"), { hostname: "::1", port: 80 });
  assert.throws(() => parseListenAddress("9120"), /expected HOST:PORT/);
});

Deno.test("serveMetrics() serves /metrics, /healthz (liveness) and /readyz (readiness)", async () => {
  let ok = true;
  let ready = false;
  await using server = await serveMetrics({ hostname: "127.0.0.1", port: 0 }, {
    render: () => "m 1\n",
    health: () => ({ ok }),
    readiness: () => ({ ready, resources: { [ETH0]: ready ? "registered" : "not registered" } }),
  }, silentLogger);
  const base = `http://127.0.0.1:${server.port}`;
  const metrics = await fetch(`${base}/metrics`);
  assert.equal(await metrics.text(), "m 1\n");
  assert.match(metrics.headers.get("content-type")!, /text\/plain; version=0.0.4/);
  assert.equal((await fetch(`${base}/healthz`).then((r) => r.json())).ok, true);
  const notReady = await fetch(`${base}/readyz`);
  assert.equal(notReady.status, 503);
  assert.deepEqual(await notReady.json(), { ready: false, resources: { [ETH0]: "not registered" } });
  ready = true;
  const readyNow = await fetch(`${base}/readyz`);
  assert.equal(readyNow.status, 200);
  assert.equal((await readyNow.json()).ready, true);
  ok = false;
  const unhealthy = await fetch(`${base}/healthz`);
  assert.equal(unhealthy.status, 503);
  await unhealthy.body?.cancel();
  const missing = await fetch(`${base}/other`);
  assert.equal(missing.status, 404);
  await missing.body?.cancel();
});
