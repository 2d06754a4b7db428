import assert from "node:assert/strict";
import { parseConfig } from "./config.ts";
import { type FakeLinkSpec, FakeNodeLinks, virtioNic } from "./testing/fake_node_links.ts";
import type { DevicePluginBackend } from "./kubelet/api_types.ts";
import { AllocationCheckpoint } from "./macvtap/allocation_checkpoint.ts";
import { LinkTable } from "./resources/link_table.ts";
import { ResourceSet } from "./resource_set.ts";

class RecordingServers {
  served = new Map<string, DevicePluginBackend>();
  events: string[] = [];
  add(backend: DevicePluginBackend): void {
    this.served.set(backend.socketName, backend);
    this.events.push(`add ${backend.resourceName}`);
  }
  remove(socketName: string): Promise<void> {
    this.events.push(`remove ${this.served.get(socketName)?.resourceName}`);
    this.served.delete(socketName);
    return Promise.resolve();
  }
}

const DEFAULT_LINKS: FakeLinkSpec[] = [
  { name: "lo", loopback: true },
  { name: "eth0", parentDevName: "virtio2" },
  { name: "veth1", kind: "veth" },
];

async function setup(specs = DEFAULT_LINKS) {
  const fake = new FakeNodeLinks(specs);
  const links = await LinkTable.start(fake);
  const servers = new RecordingServers();
  const set = new ResourceSet(
    { nodeLinks: fake, links, checkpoint: await AllocationCheckpoint.open(null) },
    servers,
  );
  return {
    fake,
    servers,
    set,
    names: () => set.pools().map((p) => p.resourceName.split("/")[1]),
    settle: () => new Promise((resolve) => setTimeout(resolve, 0)),
    async [Symbol.asyncDispose]() {
      await set[Symbol.asyncDispose]();
      links[Symbol.dispose]();
    },
  };
}

Deno.test("ResourceSet serves the configured resources", async () => {
  await using t = await setup();
  await t.set.apply(
    parseConfig('[{"name":"a","lowerDevice":"eth0"},{"name":"b","lowerDevice":"veth1"}]', "t"),
  );
  assert.deepEqual(t.names(), ["a", "b"]);
  assert.deepEqual(t.servers.events, [
    "add macvtap.network.kubevirt.io/a",
    "add macvtap.network.kubevirt.io/b",
  ]);
});

Deno.test("ResourceSet applies a new config touching only what changed", async () => {
  await using t = await setup();
  await t.set.apply(
    parseConfig('[{"name":"a","lowerDevice":"eth0"},{"name":"b","lowerDevice":"eth0"}]', "t"),
  );
  const a = t.set.pools()[0]!;
  await t.set.apply(parseConfig('[{"name":"a","lowerDevice":"eth0","capacity":5},{"name":"c"}]', "t"));
  assert.deepEqual(t.names(), ["a", "c"]);
  assert.equal(t.set.pools()[0], a, "pool a kept (and so its server and registration)");
  assert.equal(a.devices().length, 5);
  assert.deepEqual(t.servers.events.slice(2), [
    "remove macvtap.network.kubevirt.io/b",
    "add macvtap.network.kubevirt.io/c",
  ]);
});

Deno.test("ResourceSet with [] discovers suitable links and follows them", async () => {
  await using t = await setup();
  await t.set.apply(parseConfig("[]", "t"));
  assert.deepEqual(t.names(), ["eth0"]);
  t.fake.add({ name: "bond0", kind: "bond" });
  t.fake.add({ name: "macvtap9", kind: "macvtap" });
  await t.settle();
  await t.set.apply(parseConfig("[]", "t")); // waits for the queued reconciliation
  assert.deepEqual(t.names(), ["bond0", "eth0"]);
  t.fake.remove("eth0");
  await t.settle();
  await t.set.apply(parseConfig("[]", "t"));
  assert.deepEqual(t.names(), ["bond0"]);
});

Deno.test("ResourceSet switches between explicit config and discovery", async () => {
  await using t = await setup();
  await t.set.apply(parseConfig('[{"name":"dataplane","lowerDevice":"eth0"}]', "t"));
  await t.set.apply(parseConfig("[]", "t"));
  assert.deepEqual(t.names(), ["eth0"]);
  await t.set.apply(parseConfig('[{"name":"dataplane","lowerDevice":"eth0"}]', "t"));
  assert.deepEqual(t.names(), ["dataplane"]);
});

Deno.test("ResourceSet: hostdev entries by name, ownership in config order, kind switch replaces the pool", async () => {
  await using t = await setup([
    { name: "lo", loopback: true },
    virtioNic("eth0", "0000:00:03.0", { defaultRoute: true }),
    virtioNic("ens9", "0000:00:09.0", { numaNode: 0 }),
    virtioNic("ens10", "0000:00:0a.0"),
    { name: "veth9", kind: "veth" },
  ]);
  await t.set.apply(parseConfig(
    '[{"name":"first","kind":"hostdev","interfaces":["veth9","ens9"]},{"name":"nics","kind":"hostdev"}]',
    "t",
  ));
  const ids = (name: string) =>
    t.servers.served.get(`macvtap.network.kubevirt.io_${name}`)!.devices().map((d) => d.ID);
  assert.deepEqual(ids("first"), ["0000:00:09.0", "veth9"]);
  assert.deepEqual(ids("nics"), ["0000:00:0a.0"], "ens9 belongs to the earlier entry");
  await t.set.apply(
    parseConfig('[{"name":"first","lowerDevice":"ens9"},{"name":"nics","kind":"hostdev"}]', "t"),
  );
  const names = t.set.pools().map((p) => `${p.resourceName} ${"select" in p.config ? "hostdev" : "macvtap"}`);
  assert.deepEqual(names, [
    "macvtap.network.kubevirt.io/first macvtap",
    "macvtap.network.kubevirt.io/nics hostdev",
  ]);
  assert.deepEqual(ids("nics"), ["0000:00:0a.0"], "ens9 is a macvtap lower now");
});
