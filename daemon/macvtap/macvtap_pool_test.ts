import assert from "node:assert/strict";
import type { ResourceConfig } from "../config.ts";
import { FakeHostLinks, type FakeLinkSpec } from "../host/fake_host_links.ts";
import { PluginRequestError } from "../kubelet/api_types.ts";
import { AllocationLedger } from "./allocation_ledger.ts";
import { LinkTable } from "./link_table.ts";
import { MacvtapPool } from "./macvtap_pool.ts";
import { tempLinkName } from "./temp_link_name.ts";

const ETH0: ResourceConfig = { name: "eth0", lowerDevice: "eth0", mode: "bridge", capacity: 3 };

async function setup(config = ETH0, links: FakeLinkSpec[] = [{ name: "eth0", parentDevName: "virtio2" }]) {
  const fake = new FakeHostLinks(links);
  const table = await LinkTable.start(fake);
  const ledger = new AllocationLedger();
  const pool = new MacvtapPool(config, { hostLinks: fake, links: table, ledger });
  let changes = 0;
  pool.onDevicesChanged(() => changes++);
  return {
    fake,
    pool,
    ledger,
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

Deno.test("MacvtapPool health follows the lower link: down or no carrier → Unhealthy, gone → empty", async () => {
  using t = await setup();
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
  assert.deepEqual(t.pool.devices(), []);
  t.fake.add({ name: "eth0", parentDevName: "virtio2" });
  await t.settle();
  assert.deepEqual(health(), ["Healthy"]);
  assert.equal(t.changes(), 5);
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
  assert.deepEqual(t.pool.devices()[0].topology, { nodes: [{ ID: 1 }] });
});

Deno.test("MacvtapPool.allocate() deletes a leftover, creates the macvtap with the mode and returns /dev/tapN", async () => {
  using t = await setup({ ...ETH0, mode: "vepa" });
  const name = tempLinkName("eth0Mvp1");
  const response = await t.pool.allocate({ devices_ids: ["eth0Mvp1"] });
  const ifindex = t.fake.get(name)!.ifindex;
  assert.deepEqual(response, {
    envs: {},
    mounts: [],
    devices: [{ container_path: `/dev/tap${ifindex}`, host_path: `/dev/tap${ifindex}`, permissions: "rw" }],
    annotations: {},
    cdi_devices: [],
  });
  assert.equal(t.fake.get(name)?.macvtapMode, "vepa");
  assert.ok(t.ledger.isRecent(name, 60_000));
  // A second Allocate of the same device replaces the link left in the host netns.
  await t.pool.allocate({ devices_ids: ["eth0Mvp1"] });
  assert.deepEqual(t.fake.calls, [
    `create ${name} on eth0 mode vepa`,
    `delete ${name}`,
    `create ${name} on eth0 mode vepa`,
  ]);
});

Deno.test("MacvtapPool.allocate() refuses unknown, foreign, duplicate and empty device IDs", async () => {
  using t = await setup();
  const status = (ids: string[]) =>
    t.pool.allocate({ devices_ids: ids }).then(() => "OK", (e: PluginRequestError) => e.status);
  assert.equal(await status(["eth0Mvp3"]), "NOT_FOUND"); // capacity is 3
  assert.equal(await status(["eth1Mvp0"]), "NOT_FOUND");
  assert.equal(await status(["eth0Mvp01"]), "NOT_FOUND");
  assert.equal(await status(["eth0Mvp0", "eth0Mvp0"]), "INVALID_ARGUMENT");
  assert.equal(await status([]), "INVALID_ARGUMENT");
  assert.deepEqual(t.fake.calls, []);
});

Deno.test("MacvtapPool.allocate() fails cleanly when the lower link is missing", async () => {
  using t = await setup({ ...ETH0, lowerDevice: "ens9" });
  await assert.rejects(
    t.pool.allocate({ devices_ids: ["eth0Mvp0"] }),
    (e: unknown) =>
      e instanceof PluginRequestError && e.status === "FAILED_PRECONDITION" && /"ens9"/.test(e.message),
  );
});

Deno.test("MacvtapPool.allocate() undoes what it created when a later device fails", async () => {
  using t = await setup();
  t.fake.failNext("createMacvtap", "EBUSY", tempLinkName("eth0Mvp2"));
  await assert.rejects(
    t.pool.allocate({ devices_ids: ["eth0Mvp0", "eth0Mvp1", "eth0Mvp2"] }),
    (e: unknown) => e instanceof PluginRequestError && e.status === "UNAVAILABLE" && /EBUSY/.test(e.message),
  );
  assert.deepEqual((await t.fake.listTempLinks()).map((l) => l.name), []);
  assert.equal(t.ledger.isRecent(tempLinkName("eth0Mvp0"), 60_000), false);
});

Deno.test("MacvtapPool.reconfigure() changes capacity and mode without touching allocated links", async () => {
  using t = await setup();
  await t.pool.allocate({ devices_ids: ["eth0Mvp0"] });
  t.pool.reconfigure({ ...ETH0, capacity: 5, mode: "private" });
  assert.equal(t.pool.devices().length, 5);
  assert.equal(t.changes(), 1);
  await t.pool.allocate({ devices_ids: ["eth0Mvp4"] });
  assert.equal(t.fake.get(tempLinkName("eth0Mvp4"))?.macvtapMode, "private");
  assert.ok(t.fake.get(tempLinkName("eth0Mvp0")), "earlier allocation untouched");
});
