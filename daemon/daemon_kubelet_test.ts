/**
 * The daemon under the kubelet's real behaviour, in-process with the kubelet double, the
 * pod-resources double and in-memory links: Allocate called again with the same IDs, links renamed, a
 * second ListAndWatch client, GC after kubelet restarts, lower links vanishing, bonds' NUMA, pods that
 * outlive the daemon and their temp links, and failure accounting. (Kernel versions: daemon_netns_test.ts,
 * faults/pods_survive_reboot_test.ts.)
 */
import assert from "node:assert/strict";
import type * as grpc from "@grpc/grpc-js";
import type { Device } from "./kubelet/api_types.ts";
import { tempLinkName } from "./macvtap/temp_link_name.ts";
import { FakeNodeLinks } from "./testing/fake_node_links.ts";
import { startDaemon } from "./testing/daemon_setup.ts";
import { PodResourcesDouble } from "./testing/pod_resources_double.ts";
import { KubeletDouble } from "./testing/kubelet_double.ts";
import { fixedConfig } from "./config_source.ts";
import { Daemon } from "./daemon.ts";
import { memoryLogger } from "./log.ts";
import { dropListAndWatchStream } from "./testing/python_stream_dropper.ts";
import { waitFor } from "../testing/wait.ts";

const ETH0 = "macvtap.network.kubevirt.io/eth0";
const healthOf = (devices: Device[]) => [...new Set(devices.map((d) => d.health))].join();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

Deno.test("daemon Allocate is idempotent: the same IDs again answer the same /dev/tapN and keep the link", async () => {
  await using t = await startDaemon();
  await t.kubelet.waitForRegistration(ETH0);
  const first = await t.kubelet.allocate(ETH0, ["eth0Mvp1"]); // init container
  const second = await t.kubelet.allocate(ETH0, ["eth0Mvp1"]); // app container reusing its device
  assert.deepEqual(second, first);
  const link = t.fake.get(tempLinkName("eth0Mvp1"))!;
  assert.equal(first.container_responses[0]!.devices[0]!.host_path, `/dev/tap${link.ifindex}`);
  assert.deepEqual(t.fake.calls, [`create ${link.name} on eth0 mode bridge`]);
});

Deno.test("daemon: a failing multi-container Allocate leaves no link, and every refusal is counted", async () => {
  await using t = await startDaemon();
  await t.kubelet.waitForRegistration(ETH0);
  t.fake.failNext("createMacvtap", "EBUSY", tempLinkName("eth0Mvp2"));
  await assert.rejects(t.kubelet.allocate(ETH0, ["eth0Mvp0"], ["eth0Mvp2"]), /EBUSY/);
  assert.deepEqual((await t.fake.listTempLinks()).map((l) => l.name), []);
  await assert.rejects(t.kubelet.allocate(ETH0, ["eth0Mvp9"]), (e: grpc.ServiceError) => e.code === 5); // NOT_FOUND
  t.fake.remove("eth0");
  await t.kubelet.waitForDevices(ETH0, "unhealthy", (d) => healthOf(d) === "Unhealthy");
  await assert.rejects(t.kubelet.allocate(ETH0, ["eth0Mvp0"]), (e: grpc.ServiceError) => e.code === 9); // FAILED_PRECONDITION
  assert.equal(t.daemon.metrics.value("macvtap_dp_allocation_failures_total", { resource: ETH0 }), 3);
});

Deno.test("daemon follows renames: a renamed lower leaves Unhealthy devices, discovery follows the new name", async () => {
  await using t = await startDaemon({ config: '[{"name":"up0","capacity":2}]', links: [{ name: "up0" }] });
  const UP0 = "macvtap.network.kubevirt.io/up0";
  await t.kubelet.waitForDevices(UP0, "healthy", (d) => healthOf(d) === "Healthy");
  t.fake.rename("up0", "up9");
  await t.kubelet.waitForDevices(UP0, "unhealthy", (d) => d.length === 2 && healthOf(d) === "Unhealthy");
  await assert.rejects(t.kubelet.allocate(UP0, ["up0Mvp0"]), (e: grpc.ServiceError) => e.code === 9);
  t.fake.rename("up9", "up0");
  await t.kubelet.waitForDevices(UP0, "healthy again", (d) => healthOf(d) === "Healthy");

  await using d = await startDaemon({ config: "[]", links: [{ name: "eth0", parentDevName: "virtio2" }] });
  await d.kubelet.waitForRegistration(ETH0);
  d.fake.rename("eth0", "ens3");
  await d.kubelet.waitForRegistration("macvtap.network.kubevirt.io/ens3");
  await d.kubelet.waitUntil("eth0 no longer served", () => d.daemon.plugins.status().get(ETH0) === undefined);
});

Deno.test("daemon: hostdev interfaces [nicA, nicB] with nicA renamed to nicB advertise one device", async () => {
  await using t = await startDaemon({
    config: '[{"name":"nics","kind":"hostdev","interfaces":["nicA","nicB"]}]',
    links: [{ name: "nicA", kind: "veth" }],
  });
  const NICS = "macvtap.network.kubevirt.io/nics";
  await t.kubelet.waitForDevices(NICS, "nicA", (d) => d.map((x) => x.ID).join() === "nicA");
  t.fake.rename("nicA", "nicB");
  const devices = await t.kubelet.waitForDevices(
    NICS,
    "nicB only",
    (d) => d.map((x) => x.ID).join() === "nicB",
  );
  assert.equal(devices.length, 1);
});

Deno.test("daemon: a ListAndWatch client that is not the kubelet ending its stream changes nothing", async () => {
  await using t = await startDaemon();
  await t.kubelet.waitForDevices(ETH0, "first list", (d) => d.length === 4);
  await dropListAndWatchStream(`${t.dir}/macvtap.network.kubevirt.io_eth0`);
  await sleep(300);
  assert.equal(t.kubelet.registrations.length, 1);
  assert.equal(t.kubelet.plugin(ETH0)?.streamEnded, null);
  t.fake.update("eth0", { carrier: false });
  await t.kubelet.waitForDevices(ETH0, "update on the kubelet's stream", (d) => healthOf(d) === "Unhealthy");
});

Deno.test("daemon gives a bond resource the NUMA node its slaves agree on", async () => {
  await using t = await startDaemon({
    config: '[{"name":"bond0","capacity":2}]',
    links: [{ name: "bond0", kind: "bond" }, { name: "eth0", parentDevName: "0000:3b:00.0", numaNode: 1 }],
  });
  const BOND0 = "macvtap.network.kubevirt.io/bond0";
  await t.kubelet.waitForDevices(BOND0, "no topology", (d) => d.length === 2 && d[0]!.topology === null);
  t.fake.update("eth0", { masterIfindex: t.fake.get("bond0")!.ifindex });
  const devices = await t.kubelet.waitForDevices(BOND0, "NUMA 1", (d) => d[0]!.topology?.nodes[0]?.ID === 1);
  assert.deepEqual(devices[1]!.topology, { nodes: [{ ID: 1 }] });
});

Deno.test("daemon: after a kubelet restart, a List that misses a pod does not cost the pod its link", async () => {
  await using t = await startDaemon({ options: { gcIntervalMs: 50, gcGraceMs: 400 } });
  await t.kubelet.waitForRegistration(ETH0);
  await t.kubelet.allocate(ETH0, ["eth0Mvp1"]);
  const name = tempLinkName("eth0Mvp1");
  t.podResources.pods = [PodResourcesDouble.pod("vm-a", ETH0, ["eth0Mvp1"])];
  await t.kubelet.waitUntil("collection trusted", () => !t.daemon.keeper.paused);
  await sleep(450); // the link is older than the grace period now
  await t.kubelet.restart();
  await t.kubelet.waitUntil("collection paused", () => t.daemon.keeper.paused);
  t.podResources.pods = []; // the restarted kubelet has not rebuilt vm-a yet
  await sleep(250);
  assert.ok(t.fake.get(name), "kept while the List is not trusted");
  t.podResources.pods = [PodResourcesDouble.pod("vm-a", ETH0, ["eth0Mvp1"])];
  await sleep(600);
  assert.ok(t.fake.get(name), "kept: the pod holds it");
  assert.equal(t.daemon.keeper.paused, false);
  t.podResources.pods = []; // the pod is really gone
  await t.kubelet.waitUntil("collected", () => !t.fake.get(name));
});

Deno.test("daemon: pods survive a reboot — a restarted daemon re-creates their links at the same ifindex", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mvt-daemon-" });
  const node = new FakeNodeLinks([{ name: "eth0", parentDevName: "virtio2" }]);
  try {
    const before = await startDaemon({ dir, fake: node, config: '[{"name":"eth0","mode":"vepa"}]' });
    await before.kubelet.waitForRegistration(ETH0);
    const response = await before.kubelet.allocate(ETH0, ["eth0Mvp3"]);
    const path = response.container_responses[0]!.devices[0]!.host_path;
    await before.stop();
    node.remove(tempLinkName("eth0Mvp3")); // the reboot: no link survives

    await using after = await startDaemon({ dir, fake: node, config: '[{"name":"eth0","mode":"vepa"}]' });
    const link = node.get(tempLinkName("eth0Mvp3"));
    assert.equal(link && `/dev/tap${link.ifindex}`, path, "re-created before anything was served");
    assert.equal(link?.macvtapMode, "vepa");
    assert.ok(after.log.records.some((r) => r.msg === "allocation checkpoint loaded" && r.allocations === 1));
    assert.equal(after.daemon.metrics.value("macvtap_dp_links_restored_total", { resource: ETH0 }), 1);
    assert.equal(after.daemon.metrics.value("macvtap_dp_link_restore_failures_total", { resource: ETH0 }), 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("daemon: a re-created sandbox gets its link back at the same ifindex, once the pod's one is gone", async () => {
  await using t = await startDaemon({ options: { gcIntervalMs: 50, gcGraceMs: 0 } });
  await t.kubelet.waitForRegistration(ETH0);
  t.podResources.pods = [PodResourcesDouble.pod("vm-a", ETH0, ["eth0Mvp0"])];
  await t.kubelet.allocate(ETH0, ["eth0Mvp0"]);
  const name = tempLinkName("eth0Mvp0");
  const peer = t.fake.moveToPeer(name, 0); // CNI ADD moved it into the pod
  await sleep(200);
  assert.equal(t.fake.get(name), undefined, "not re-created while the pod's macvtap lives");
  t.fake.deletePeer(peer.ifindex); // CNI DEL on the old sandbox
  await t.kubelet.waitUntil("re-created", () => t.fake.get(name)?.ifindex === peer.ifindex);
});

Deno.test("daemon.readiness() is ready once every resource is registered", async () => {
  await using t = await startDaemon({ config: '[{"name":"eth0"},{"name":"data","lowerDevice":"eth0"}]' });
  await t.kubelet.waitUntil("ready", () => t.daemon.readiness().ready);
  assert.deepEqual(t.daemon.readiness(), {
    ready: true,
    resources: { [ETH0]: "registered", "macvtap.network.kubevirt.io/data": "registered" },
  });
});

Deno.test("daemon /readyz: 503 while the kubelet is absent (retries logged at warn), 200 once registered", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mvt-daemon-ready-" });
  const log = memoryLogger();
  const config = fixedConfig('[{"name":"eth0","capacity":2}]', "DP_MACVTAP_CONF");
  try {
    await using daemon = await Daemon.start({
      pluginDir: dir,
      podResourcesSocket: `${dir}/none.sock`,
      gcIntervalMs: 0,
      gcGraceMs: 0,
      metricsAddress: { hostname: "127.0.0.1", port: 0 },
      pluginTuning: { minRestartIntervalMs: 10, socketCheckIntervalMs: 100, retryDelaysMs: [50] },
    }, { nodeLinks: new FakeNodeLinks([{ name: "eth0", parentDevName: "virtio2" }]), config, log });
    const readyz = () => fetch(`http://127.0.0.1:${daemon.metricsPort}/readyz`);
    const before = await readyz();
    assert.equal(before.status, 503);
    assert.deepEqual(await before.json(), { ready: false, resources: { [ETH0]: "not registered" } });
    const retry = (r: { msg: string }) => r.msg === "cannot serve and register; will retry";
    await waitFor("a logged retry", () => log.records.some(retry), { timeoutMs: 10_000, everyMs: 20 });
    const retries = log.records.filter(retry);
    assert.deepEqual(
      [...new Set(retries.map((r) => r.level))],
      ["warn"],
      "the kubelet being absent is no error",
    );
    await using kubelet = await KubeletDouble.start(dir);
    await kubelet.waitForRegistration(ETH0);
    await waitFor("/readyz ready", async () => (await readyz().then((r) => r.json())).ready, {
      timeoutMs: 10_000,
      everyMs: 20,
    });
    assert.equal((await readyz().then(async (r) => [r.status, await r.json()]))[0], 200);
  } finally {
    config[Symbol.dispose]();
    await Deno.remove(dir, { recursive: true });
  }
});
