import assert from "node:assert/strict";
import type { ResourceConfig } from "../config.ts";
import { type FakeLinkSpec, FakeNodeLinks } from "../testing/fake_node_links.ts";
import { PluginRequestError } from "../kubelet/api_types.ts";
import { AllocationCheckpoint } from "./allocation_checkpoint.ts";
import { LinkTable } from "../resources/link_table.ts";
import { MacvtapPool } from "./macvtap_pool.ts";
import { tempLinkName } from "./temp_link_name.ts";

const ETH0: ResourceConfig = { name: "eth0", lowerDevice: "eth0", mode: "bridge", capacity: 3 };

async function setup(config = ETH0, links: FakeLinkSpec[] = [{ name: "eth0", parentDevName: "virtio2" }]) {
  const fake = new FakeNodeLinks(links);
  const table = await LinkTable.start(fake);
  const checkpoint = await AllocationCheckpoint.open(null);
  const failures: string[] = [];
  const observer = { allocateFailed: (resource: string) => failures.push(resource) };
  const pool = new MacvtapPool(config, { nodeLinks: fake, links: table, checkpoint, observer });
  let changes = 0;
  pool.onDevicesChanged(() => changes++);
  return {
    fake,
    pool,
    checkpoint,
    failures,
    /** One container's Allocate. */
    allocate: async (ids: string[]) => (await pool.allocate([{ devices_ids: ids }]))[0],
    changes: () => changes,
    settle: () => new Promise((resolve) => setTimeout(resolve, 0)),
    [Symbol.dispose]: () => {
      pool[Symbol.dispose]();
      table[Symbol.dispose]();
    },
  };
}

Deno.test("MacvtapPool advertises capacity Healthy devices named <name>Mvp<i>", async () => {
  using t = await setup();
  assert.equal(t.pool.resourceName, "macvtap.network.kubevirt.io/eth0");
  assert.equal(t.pool.socketName, "macvtap.network.kubevirt.io_eth0");
  assert.deepEqual(t.pool.devices(), [
    { ID: "eth0Mvp0", health: "Healthy", topology: null },
    { ID: "eth0Mvp1", health: "Healthy", topology: null },
    { ID: "eth0Mvp2", health: "Healthy", topology: null },
  ]);
});

Deno.test("MacvtapPool health follows the lower link: down, no carrier or gone → Unhealthy, back → Healthy", async () => {
  using t = await setup(ETH0, [{ name: "eth0", parentDevName: "0000:3b:00.0", numaNode: 1 }]);
  const health = () => [...new Set(t.pool.devices().map((d) => d.health))];
  t.fake.update("eth0", { carrier: false });
  await t.settle();
  assert.deepEqual(health(), ["Unhealthy"]);
  t.fake.update("eth0", { carrier: true });
  await t.settle();
  assert.deepEqual(health(), ["Healthy"]);
  t.fake.update("eth0", { up: false });
  await t.settle();
  assert.deepEqual(health(), ["Unhealthy"]);
  t.fake.remove("eth0");
  await t.settle();
  // Still listed: capacity stays visible and pods holding devices see them Unhealthy, NUMA kept.
  assert.deepEqual(
    t.pool.devices().map((d) => [d.ID, d.health, d.topology]),
    [0, 1, 2].map((i) => [
      `eth0Mvp${i}`,
      "Unhealthy",
      { nodes: [{ ID: 1 }] },
    ]),
  );
  t.fake.add({ name: "eth0", parentDevName: "0000:3b:00.0", numaNode: 1 });
  await t.settle();
  assert.deepEqual(health(), ["Healthy"]);
  assert.equal(t.changes(), 5);
});

Deno.test("MacvtapPool follows a renamed lower: Unhealthy under the old name, Healthy when a link takes it", async () => {
  using t = await setup();
  t.fake.rename("eth0", "ens3");
  await t.settle();
  assert.deepEqual([...new Set(t.pool.devices().map((d) => d.health))], ["Unhealthy"]);
  await assert.rejects(
    t.allocate(["eth0Mvp0"]),
    (e: PluginRequestError) => e.status === "FAILED_PRECONDITION",
  );
  t.fake.rename("ens3", "eth0");
  await t.settle();
  assert.deepEqual([...new Set(t.pool.devices().map((d) => d.health))], ["Healthy"]);
  assert.ok((await t.allocate(["eth0Mvp0"]))!.devices[0]!.host_path.startsWith("/dev/tap"));
});

Deno.test("MacvtapPool does not signal changes that do not change the device list", async () => {
  using t = await setup();
  t.fake.update("eth0", { parentBusName: "virtio" });
  t.fake.add({ name: "eth1" });
  await t.settle();
  assert.equal(t.changes(), 0);
});

Deno.test("MacvtapPool reports the lower link's NUMA node as topology", async () => {
  using t = await setup(ETH0, [{ name: "eth0", parentDevName: "0000:3b:00.0", numaNode: 1 }]);
  assert.deepEqual(t.pool.devices()[0]!.topology, { nodes: [{ ID: 1 }] });
});

Deno.test("MacvtapPool gives a bond the NUMA node its slaves agree on, none when they differ", async () => {
  const bondConfig = { ...ETH0, name: "bond0", lowerDevice: "bond0" };
  using t = await setup(bondConfig, [
    { name: "bond0", kind: "bond" },
    { name: "eth0", parentDevName: "0000:3b:00.0", numaNode: 1 },
    { name: "eth1", parentDevName: "0000:3b:00.1", numaNode: 1 },
  ]);
  const topology = () => t.pool.devices()[0]!.topology;
  assert.equal(topology(), null, "no slaves yet");
  const bond = t.fake.get("bond0")!.ifindex;
  t.fake.update("eth0", { masterIfindex: bond });
  t.fake.update("eth1", { masterIfindex: bond });
  await t.settle();
  assert.deepEqual(topology(), { nodes: [{ ID: 1 }] });
  assert.equal(t.changes(), 1, "the slaves' change reached the kubelet");
  t.fake.update("eth1", { numaNode: 0 });
  await t.settle();
  assert.equal(topology(), null, "slaves on different nodes");
  t.fake.update("eth1", { numaNode: 1 });
  t.fake.update("eth1", { masterIfindex: undefined });
  await t.settle();
  assert.deepEqual(topology(), { nodes: [{ ID: 1 }] }, "one slave left");
});

Deno.test("MacvtapPool.allocate() creates the macvtap with the mode, records it and returns /dev/tapN", async () => {
  using t = await setup({ ...ETH0, mode: "vepa" });
  const name = tempLinkName("eth0Mvp1");
  const response = await t.allocate(["eth0Mvp1"]);
  const ifindex = t.fake.get(name)!.ifindex;
  assert.deepEqual(response, {
    envs: {},
    mounts: [],
    devices: [{ container_path: `/dev/tap${ifindex}`, host_path: `/dev/tap${ifindex}`, permissions: "rw" }],
    annotations: {},
    cdi_devices: [],
  });
  assert.equal(t.fake.get(name)?.macvtapMode, "vepa");
  assert.ok(t.checkpoint.isRecent(name, 60_000));
  const { allocatedAtMs: _, ...record } = t.checkpoint.get("eth0Mvp1")!;
  assert.deepEqual(record, {
    resourceName: "macvtap.network.kubevirt.io/eth0",
    deviceId: "eth0Mvp1",
    lower: "eth0",
    mode: "vepa",
    ifindex,
  });
});

Deno.test("MacvtapPool.allocate() is idempotent: the same IDs again keep a right link and its /dev/tapN", async () => {
  using t = await setup({ ...ETH0, mode: "vepa" });
  const name = tempLinkName("eth0Mvp1");
  const first = await t.allocate(["eth0Mvp1"]);
  const second = await t.allocate(["eth0Mvp1"]); // an app container reusing its init container's device
  assert.deepEqual(second, first);
  assert.deepEqual(t.fake.calls, [`create ${name} on eth0 mode vepa`], "nothing deleted or re-created");
});

Deno.test("MacvtapPool.allocate() replaces a leftover with the wrong mode, lower or state", async () => {
  using t = await setup({ ...ETH0, mode: "vepa" }, [{ name: "eth0" }, { name: "eth1" }]);
  const name = tempLinkName("eth0Mvp1");
  for (
    const [lower, mode, up] of [["eth0", "bridge", true], ["eth1", "vepa", true], [
      "eth0",
      "vepa",
      false,
    ]] as const
  ) {
    await t.fake.createMacvtap({ name, lower, mode });
    if (!up) t.fake.update(name, { up: false });
    const response = await t.allocate(["eth0Mvp1"]);
    const link = t.fake.get(name)!;
    assert.deepEqual([link.lowerIfindex, link.macvtapMode, link.up], [
      t.fake.get("eth0")!.ifindex,
      "vepa",
      true,
    ]);
    assert.equal(response!.devices[0]!.host_path, `/dev/tap${link.ifindex}`);
    await t.fake.deleteLink(name);
  }
});

Deno.test("MacvtapPool.allocate() answers every container of a request, or leaves no link of any", async () => {
  using t = await setup();
  const responses = await t.pool.allocate([{ devices_ids: ["eth0Mvp0"] }, { devices_ids: ["eth0Mvp1"] }]);
  assert.deepEqual(responses.map((r) => r.devices.length), [1, 1]);
  await t.fake.deleteLink(tempLinkName("eth0Mvp0"));
  await t.fake.deleteLink(tempLinkName("eth0Mvp1"));
  t.fake.failNext("createMacvtap", "EBUSY", tempLinkName("eth0Mvp2"));
  await assert.rejects(
    t.pool.allocate([{ devices_ids: ["eth0Mvp0", "eth0Mvp1"] }, { devices_ids: ["eth0Mvp2"] }]),
    (e: unknown) => e instanceof PluginRequestError && e.status === "UNAVAILABLE" && /EBUSY/.test(e.message),
  );
  assert.deepEqual(
    (await t.fake.listTempLinks()).map((l) => l.name),
    [],
    "the first container's links are gone",
  );
  // A bad ID in a later container fails the request before anything is made.
  const calls = t.fake.calls.length;
  await assert.rejects(
    t.pool.allocate([{ devices_ids: ["eth0Mvp0"] }, { devices_ids: ["eth0Mvp9"] }]),
    (e: PluginRequestError) => e.status === "NOT_FOUND",
  );
  assert.equal(t.fake.calls.length, calls);
});

Deno.test("MacvtapPool.allocate() keeps a link an earlier Allocate made when a later device fails", async () => {
  using t = await setup();
  await t.allocate(["eth0Mvp0"]);
  t.fake.failNext("createMacvtap", "EBUSY", tempLinkName("eth0Mvp1"));
  await assert.rejects(t.allocate(["eth0Mvp0", "eth0Mvp1"]));
  assert.ok(t.fake.get(tempLinkName("eth0Mvp0")), "made by the earlier, successful Allocate");
});

Deno.test("MacvtapPool.allocate() refuses unknown, foreign, duplicate and empty device IDs, and counts each", async () => {
  using t = await setup();
  const status = (ids: string[]) => t.allocate(ids).then(() => "OK", (e: PluginRequestError) => e.status);
  assert.equal(await status(["eth0Mvp3"]), "NOT_FOUND"); // capacity is 3
  assert.equal(await status(["eth1Mvp0"]), "NOT_FOUND");
  assert.equal(await status(["eth0Mvp01"]), "NOT_FOUND");
  assert.equal(await status(["eth0Mvp0", "eth0Mvp0"]), "INVALID_ARGUMENT");
  assert.equal(await status([]), "INVALID_ARGUMENT");
  assert.deepEqual(t.fake.calls, []);
  assert.equal(t.failures.length, 5, "allocation_failures_total counts every refusal");
});

Deno.test("MacvtapPool.allocate() fails cleanly when the lower link is missing, and counts it", async () => {
  using t = await setup({ ...ETH0, lowerDevice: "ens9" });
  await assert.rejects(
    t.allocate(["eth0Mvp0"]),
    (e: unknown) =>
      e instanceof PluginRequestError && e.status === "FAILED_PRECONDITION" && /"ens9"/.test(e.message),
  );
  assert.deepEqual(t.failures, ["macvtap.network.kubevirt.io/eth0"]);
});

Deno.test("MacvtapPool.allocate() undoes what it created when a later device fails", async () => {
  using t = await setup();
  t.fake.failNext("createMacvtap", "EBUSY", tempLinkName("eth0Mvp2"));
  await assert.rejects(
    t.allocate(["eth0Mvp0", "eth0Mvp1", "eth0Mvp2"]),
    (e: unknown) => e instanceof PluginRequestError && e.status === "UNAVAILABLE" && /EBUSY/.test(e.message),
  );
  assert.deepEqual((await t.fake.listTempLinks()).map((l) => l.name), []);
  assert.equal(t.checkpoint.get("eth0Mvp0"), undefined, "nothing recorded");
});

Deno.test("MacvtapPool.restore() re-creates a recorded device's link at its ifindex", async () => {
  using t = await setup({ ...ETH0, mode: "vepa" });
  await t.allocate(["eth0Mvp1"]);
  const record = t.checkpoint.get("eth0Mvp1")!;
  await t.fake.deleteLink(tempLinkName("eth0Mvp1"));
  assert.equal(await t.pool.restore(record), record.ifindex);
  const link = t.fake.get(tempLinkName("eth0Mvp1"))!;
  assert.deepEqual([link.ifindex, link.macvtapMode], [record.ifindex, "vepa"]);
  t.fake.remove(tempLinkName("eth0Mvp1"));
  t.fake.add({ name: "other0", ifindex: record.ifindex }); // the ifindex is taken meanwhile
  await assert.rejects(t.pool.restore(record), /EEXIST|already exists/);
});

Deno.test("MacvtapPool.reconfigure() changes capacity and mode without touching allocated links", async () => {
  using t = await setup();
  await t.allocate(["eth0Mvp0"]);
  t.pool.reconfigure({ ...ETH0, capacity: 5, mode: "private" });
  assert.equal(t.pool.devices().length, 5);
  assert.equal(t.changes(), 1);
  await t.allocate(["eth0Mvp4"]);
  assert.equal(t.fake.get(tempLinkName("eth0Mvp4"))?.macvtapMode, "private");
  assert.ok(t.fake.get(tempLinkName("eth0Mvp0")), "earlier allocation untouched");
});
