/**
 * The whole daemon in-process, driven by the kubelet double, with links from the in-memory fake.
 * (The same scenarios against the kernel, the real link broker and the sandboxed process are in
 * daemon_netns_test.ts.)
 */
import assert from "node:assert/strict";
import { WatchedConfigFile } from "./config_source.ts";
import type { Device } from "./kubelet/api_types.ts";
import type { Logger } from "./log.ts";
import { tempLinkName } from "./macvtap/temp_link_name.ts";
import { type DaemonSetup, startDaemon } from "./testing/daemon_setup.ts";
import { PodResourcesDouble } from "./testing/pod_resources_double.ts";

const ETH0 = "macvtap.network.kubevirt.io/eth0";
const healthOf = (devices: Device[]) => [...new Set(devices.map((d) => d.health))].join();

const start = (setup: DaemonSetup = {}) => startDaemon(setup);

Deno.test("daemon registers each configured resource and advertises its capacity as Healthy", async () => {
  await using t = await start({
    config: '[{"name":"eth0","capacity":4},{"name":"dataplane","lowerDevice":"eth0"}]',
  });
  await t.kubelet.waitForRegistration(ETH0);
  await t.kubelet.waitForRegistration("macvtap.network.kubevirt.io/dataplane");
  assert.equal(t.kubelet.plugin(ETH0)?.request.endpoint, "macvtap.network.kubevirt.io_eth0");
  const devices = await t.kubelet.waitForDevices(ETH0, "4 devices", (d) => d.length === 4);
  assert.deepEqual(devices.map((d) => [d.ID, d.health]), [0, 1, 2, 3].map((i) => [`eth0Mvp${i}`, "Healthy"]));
  const dataplane = await t.kubelet.waitForDevices(
    "macvtap.network.kubevirt.io/dataplane",
    "100",
    (d) => d.length === 100,
  );
  assert.equal(dataplane[99]!.ID, "dataplaneMvp99");
});

Deno.test("daemon Allocate creates the macvtap with the configured mode and returns /dev/tapN", async () => {
  await using t = await start({ config: '[{"name":"eth0","mode":"vepa","capacity":4}]' });
  await t.kubelet.waitForRegistration(ETH0);
  const response = await t.kubelet.allocate(ETH0, ["eth0Mvp2"]);
  const link = t.fake.get(tempLinkName("eth0Mvp2"))!;
  assert.equal(link.macvtapMode, "vepa");
  assert.deepEqual(response.container_responses[0]!.devices, [
    { container_path: `/dev/tap${link.ifindex}`, host_path: `/dev/tap${link.ifindex}`, permissions: "rw" },
  ]);
  const logged = t.log.records.find((r) => r.msg === "Allocate");
  assert.deepEqual(logged?.devices, [["eth0Mvp2"]]);
  assert.equal(t.daemon.metrics.value("macvtap_dp_allocations_total", { resource: ETH0 }), 1);
  await assert.rejects(t.kubelet.allocate(ETH0, ["eth0Mvp4"]), /unknown devices eth0Mvp4/);
});

Deno.test("daemon GetPreferredAllocation prefers must-include, then the lowest indexes", async () => {
  await using t = await start({ config: '[{"name":"eth0","capacity":20}]' });
  await t.kubelet.waitForRegistration(ETH0);
  const response = await t.kubelet.preferred(ETH0, {
    available_deviceIDs: ["eth0Mvp10", "eth0Mvp2", "eth0Mvp11", "eth0Mvp3"],
    must_include_deviceIDs: ["eth0Mvp11"],
    allocation_size: 3,
  });
  assert.deepEqual(response.container_responses[0]!.deviceIDs, ["eth0Mvp11", "eth0Mvp2", "eth0Mvp3"]);
});

Deno.test("daemon health: lower down → Unhealthy, up → Healthy, deleted → still listed Unhealthy", async () => {
  await using t = await start();
  await t.kubelet.waitForDevices(ETH0, "healthy", (d) => healthOf(d) === "Healthy");
  t.fake.update("eth0", { carrier: false });
  await t.kubelet.waitForDevices(ETH0, "unhealthy", (d) => d.length === 4 && healthOf(d) === "Unhealthy");
  t.fake.update("eth0", { carrier: true });
  await t.kubelet.waitForDevices(ETH0, "healthy again", (d) => healthOf(d) === "Healthy");
  t.fake.remove("eth0");
  await t.kubelet.waitForDevices(ETH0, "4 Unhealthy", (d) => d.length === 4 && healthOf(d) === "Unhealthy");
  t.fake.add({ name: "eth0", parentDevName: "virtio2" });
  await t.kubelet.waitForDevices(ETH0, "back", (d) => d.length === 4 && healthOf(d) === "Healthy");
  assert.equal(t.kubelet.registrations.length, 1, "health changes never re-register");
});

Deno.test("daemon registers again after a kubelet restart", async () => {
  await using t = await start();
  await t.kubelet.waitForRegistration(ETH0);
  await t.kubelet.restart();
  await t.kubelet.waitForRegistration(ETH0, 2);
  await t.kubelet.waitForDevices(ETH0, "list on the new stream", (d) => d.length === 4);
});

Deno.test("daemon picks up a rewritten config file and keeps the old one when the new one is bad", async () => {
  const open = async (dir: string, log: Logger) => {
    await Deno.writeTextFile(`${dir}/config.json`, '[{"name":"eth0","capacity":4}]');
    return await WatchedConfigFile.open(`${dir}/config.json`, { debounceMs: 20, log });
  };
  await using t = await start({ config: open });
  await t.kubelet.waitForRegistration(ETH0);
  await Deno.writeTextFile(
    `${t.dir}/config.json`,
    '[{"name":"eth0","capacity":4},{"name":"eth0b","lowerDevice":"eth0"}]',
  );
  await t.kubelet.waitForRegistration("macvtap.network.kubevirt.io/eth0b");
  await Deno.writeTextFile(`${t.dir}/config.json`, '[{"name":"eth0","capacity":0}]');
  await (t.config as WatchedConfigFile).reload();
  assert.ok(
    t.log.records.some((r) =>
      r.msg.startsWith("invalid config file") && /capacity 0/.test(JSON.stringify(r))
    ),
  );
  assert.deepEqual(t.daemon.resources.pools().map((p) => p.config.name), ["eth0", "eth0b"]);
  assert.equal(t.kubelet.registrations.filter((r) => r.resource_name === ETH0).length, 1, "eth0 untouched");
});

Deno.test("daemon with [] advertises physical links and bonds and follows new ones", async () => {
  await using t = await start({
    config: "[]",
    links: [{ name: "lo", loopback: true }, { name: "eth0", parentDevName: "virtio2" }, {
      name: "veth0",
      kind: "veth",
    }],
  });
  await t.kubelet.waitForDevices(ETH0, "100 devices", (d) => d.length === 100);
  t.fake.add({ name: "bond0", kind: "bond" });
  await t.kubelet.waitForRegistration("macvtap.network.kubevirt.io/bond0");
  assert.deepEqual(t.kubelet.registrations.map((r) => r.resource_name).sort(), [
    "macvtap.network.kubevirt.io/bond0",
    ETH0,
  ]);
});

Deno.test("daemon collects stale temp links but spares those held by pods", async () => {
  await using t = await start({ options: { gcIntervalMs: 50, gcGraceMs: 0 } });
  await t.kubelet.waitForRegistration(ETH0);
  t.podResources.pods = [PodResourcesDouble.pod("vm-a", ETH0, ["eth0Mvp1"])];
  await t.fake.createMacvtap({ name: tempLinkName("eth0Mvp0"), lower: "eth0", mode: "bridge" });
  await t.fake.createMacvtap({ name: tempLinkName("eth0Mvp1"), lower: "eth0", mode: "bridge" });
  await t.kubelet.waitUntil("stale link deleted", () => !t.fake.get(tempLinkName("eth0Mvp0")));
  assert.ok(t.fake.get(tempLinkName("eth0Mvp1")));
  assert.ok(t.podResources.listCalls > 0);
});

Deno.test("daemon serves Prometheus metrics and /healthz", async () => {
  await using t = await start({ options: { metricsAddress: { hostname: "127.0.0.1", port: 0 } } });
  await t.kubelet.waitForRegistration(ETH0);
  await t.kubelet.waitUntil("registered", () => t.daemon.plugins.status().get(ETH0) === true);
  const text = await fetch(`http://127.0.0.1:${t.daemon.metricsPort}/metrics`).then((r) => r.text());
  assert.match(
    text,
    /^macvtap_dp_devices\{resource="macvtap.network.kubevirt.io\/eth0",health="Healthy"\} 4$/m,
  );
  assert.match(text, /^macvtap_dp_resource_registered\{resource="macvtap.network.kubevirt.io\/eth0"\} 1$/m);
  assert.match(text, /^macvtap_dp_link_broker_up 1$/m);
  const health = await fetch(`http://127.0.0.1:${t.daemon.metricsPort}/healthz`).then((r) => r.json());
  assert.deepEqual(health, { ok: true, linkBroker: "up", resources: { [ETH0]: "registered" } });
  t.fake.available = false;
  const down = await fetch(`http://127.0.0.1:${t.daemon.metricsPort}/healthz`);
  assert.equal(down.status, 503);
  await down.body?.cancel();
});

Deno.test("daemon shutdown removes its sockets and ends the streams", async () => {
  const t = await start();
  await t.kubelet.waitForRegistration(ETH0);
  await t.daemon[Symbol.asyncDispose]();
  await t.kubelet.waitUntil("stream ended", () => t.kubelet.plugin(ETH0)?.streamEnded !== null);
  await assert.rejects(Deno.lstat(`${t.dir}/macvtap.network.kubevirt.io_eth0`), Deno.errors.NotFound);
  assert.equal(t.fake.watcherCount, 0, "no leaked link watchers");
  t.config[Symbol.dispose]();
  await t.podResources[Symbol.asyncDispose]();
  await t.kubelet[Symbol.asyncDispose]();
  await Deno.remove(t.dir, { recursive: true });
});
