import assert from "node:assert/strict";
import { parseConfig } from "../config.ts";
import { FakeHostLinks } from "../host/fake_host_links.ts";
import type { DevicePluginBackend } from "../kubelet/api_types.ts";
import { AllocationCheckpoint } from "./allocation_checkpoint.ts";
import { LinkTable } from "./link_table.ts";
import { ResourceSet } from "./resource_set.ts";

class RecordingHost {
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

async function setup() {
  const fake = new FakeHostLinks([
    { name: "lo", loopback: true },
    { name: "eth0", parentDevName: "virtio2" },
    { name: "veth1", kind: "veth" },
  ]);
  const links = await LinkTable.start(fake);
  const host = new RecordingHost();
  const set = new ResourceSet(
    { hostLinks: fake, links, checkpoint: await AllocationCheckpoint.open(null) },
    host,
  );
  return {
    fake,
    host,
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
  assert.deepEqual(t.host.events, ["add macvtap.network.kubevirt.io/a", "add macvtap.network.kubevirt.io/b"]);
});

Deno.test("ResourceSet applies a new config touching only what changed", async () => {
  await using t = await setup();
  await t.set.apply(
    parseConfig('[{"name":"a","lowerDevice":"eth0"},{"name":"b","lowerDevice":"eth0"}]', "t"),
  );
  const a = t.set.pools()[0];
  await t.set.apply(parseConfig('[{"name":"a","lowerDevice":"eth0","capacity":5},{"name":"c"}]', "t"));
  assert.deepEqual(t.names(), ["a", "c"]);
  assert.equal(t.set.pools()[0], a, "pool a kept (and so its server and registration)");
  assert.equal(a.devices().length, 5);
  assert.deepEqual(t.host.events.slice(2), [
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
