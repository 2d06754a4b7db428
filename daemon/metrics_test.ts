import assert from "node:assert/strict";
import { Metrics, parseListenAddress, serveMetrics } from "./metrics.ts";
import { silentLogger } from "./log.ts";

Deno.test("Metrics renders counters and gauges in Prometheus text format", () => {
  const metrics = new Metrics();
  metrics.inc("macvtap_dp_allocations_total", { resource: "macvtap.network.kubevirt.io/eth0" }, 2);
  metrics.inc("macvtap_dp_allocations_total", { resource: "macvtap.network.kubevirt.io/eth0" });
  metrics.inc("macvtap_dp_config_reloads_total", { result: "error" });
  const text = metrics.render([
    {
      name: "macvtap_dp_devices",
      labels: { resource: "macvtap.network.kubevirt.io/eth0", health: "Healthy" },
      value: 100,
    },
  ]);
  assert.match(text, /^# TYPE macvtap_dp_devices gauge$/m);
  assert.match(
    text,
    /^macvtap_dp_devices\{resource="macvtap.network.kubevirt.io\/eth0",health="Healthy"\} 100$/m,
  );
  assert.match(text, /^macvtap_dp_allocations_total\{resource="macvtap.network.kubevirt.io\/eth0"\} 3$/m);
  assert.match(text, /^macvtap_dp_config_reloads_total\{result="error"\} 1$/m);
  assert.equal(
    metrics.value("macvtap_dp_allocations_total", { resource: "macvtap.network.kubevirt.io/eth0" }),
    3,
  );
});

Deno.test("parseListenAddress() reads HOST:PORT forms", () => {
  assert.deepEqual(parseListenAddress("127.0.0.1:9120"), { hostname: "127.0.0.1", port: 9120 });
  assert.deepEqual(parseListenAddress(":9120"), { hostname: "0.0.0.0", port: 9120 });
  assert.deepEqual(parseListenAddress("[::1]:80"), { hostname: "::1", port: 80 });
  assert.throws(() => parseListenAddress("9120"), /expected HOST:PORT/);
});

Deno.test("serveMetrics() serves /metrics and /healthz", async () => {
  let ok = true;
  await using server = await serveMetrics(
    { hostname: "127.0.0.1", port: 0 },
    () => "m 1\n",
    () => ({ ok }),
    silentLogger,
  );
  const base = `http://127.0.0.1:${server.port}`;
  const metrics = await fetch(`${base}/metrics`);
  assert.equal(await metrics.text(), "m 1\n");
  assert.match(metrics.headers.get("content-type")!, /text\/plain; version=0.0.4/);
  assert.equal((await fetch(`${base}/healthz`).then((r) => r.json())).ok, true);
  ok = false;
  const unhealthy = await fetch(`${base}/healthz`);
  assert.equal(unhealthy.status, 503);
  await unhealthy.body?.cancel();
  const missing = await fetch(`${base}/other`);
  assert.equal(missing.status, 404);
  await missing.body?.cancel();
});
