import assert from "node:assert/strict";
import { parseConfig } from "../config.ts";
import { FakeHostLinks, type FakeLinkSpec } from "../host/fake_host_links.ts";
import { type DevicePluginBackend, PluginRequestError } from "../kubelet/api_types.ts";
import { AllocationCheckpoint } from "../macvtap/allocation_checkpoint.ts";
import { LinkTable } from "../macvtap/link_table.ts";
import { ResourceSet } from "../macvtap/resource_set.ts";
import type { HostdevPool } from "./hostdev_pool.ts";

const NICS = "macvtap.network.kubevirt.io/nics";

/** A node with eth0 (virtio, default route) and two spare virtio NICs, served through a ResourceSet. */
async function setup(config = '[{"name":"nics","kind":"hostdev"}]', extra: FakeLinkSpec[] = []) {
  const virtio = (name: string, pciAddress: string, more: Partial<FakeLinkSpec> = {}): FakeLinkSpec => ({
    name,
    parentDevName: `virtio${pciAddress.at(-3)}`,
    parentBusName: "virtio",
    driver: "virtio_net",
    pciAddress,
    ...more,
  });
  const fake = new FakeHostLinks([
    { name: "lo", loopback: true },
    virtio("eth0", "0000:00:03.0", { defaultRoute: true }),
    virtio("ens9", "0000:00:09.0", { numaNode: 0 }),
    virtio("ens10", "0000:00:0a.0"),
    ...extra,
  ]);
  const links = await LinkTable.start(fake);
  const served = new Map<string, DevicePluginBackend>();
  const set = new ResourceSet({ hostLinks: fake, links, checkpoint: await AllocationCheckpoint.open(null) }, {
    add: (backend) => void served.set(backend.resourceName, backend),
    remove: () => Promise.resolve(),
  });
  await set.apply(parseConfig(config, "test"));
  const pool = () => served.get(NICS) as HostdevPool;
  let changes = 0;
  pool()?.onDevicesChanged(() => changes++);
  return {
    fake,
    set,
    pool,
    served,
    changes: () => changes,
    ids: () => pool().devices().map((d) => `${d.ID} ${d.health}`),
    settle: () => new Promise((resolve) => setTimeout(resolve, 0)),
    async [Symbol.asyncDispose]() {
      await set[Symbol.asyncDispose]();
      links[Symbol.dispose]();
    },
  };
}

Deno.test("HostdevPool: one device per virtio NIC, ID = PCI address, never eth0 (default route)", async () => {
  await using t = await setup();
  assert.equal(t.pool().socketName, "macvtap.network.kubevirt.io_nics");
  assert.deepEqual(t.pool().devices(), [
    { ID: "0000:00:09.0", health: "Healthy", topology: { nodes: [{ ID: 0 }] } },
    { ID: "0000:00:0a.0", health: "Healthy", topology: null },
  ]);
});

Deno.test("HostdevPool: up without carrier → Unhealthy; down → Healthy (carrier unknown); NICs come and go", async () => {
  await using t = await setup();
  t.fake.update("ens9", { carrier: false });
  await t.settle();
  assert.deepEqual(t.ids(), ["0000:00:09.0 Unhealthy", "0000:00:0a.0 Healthy"]);
  t.fake.update("ens9", { up: false });
  await t.settle();
  assert.deepEqual(t.ids(), ["0000:00:09.0 Healthy", "0000:00:0a.0 Healthy"]);
  t.fake.add({ name: "ens11", parentDevName: "virtio7", driver: "virtio_net", pciAddress: "0000:00:0b.0" });
  t.fake.remove("ens10");
  await t.settle();
  assert.deepEqual(t.ids(), ["0000:00:09.0 Healthy", "0000:00:0b.0 Healthy"]);
  assert.equal(t.changes(), 4, "one notification per change of the list");
});

Deno.test("HostdevPool: a default route moving onto a NIC takes it off the list", async () => {
  await using t = await setup();
  t.fake.update("ens10", { defaultRoute: true });
  await t.settle();
  assert.deepEqual(t.ids(), ["0000:00:09.0 Healthy"]);
});

Deno.test("HostdevPool.allocate(): PCIDEVICE_<RESOURCE> env with the IDs, no device nodes; bad IDs refused", async () => {
  await using t = await setup();
  const response = await t.pool().allocate([{ devices_ids: ["0000:00:0a.0", "0000:00:09.0"] }]);
  assert.deepEqual(response, [{
    envs: { PCIDEVICE_MACVTAP_NETWORK_KUBEVIRT_IO_NICS: "0000:00:0a.0,0000:00:09.0" },
    mounts: [],
    devices: [],
    annotations: {},
    cdi_devices: [],
  }]);
  assert.deepEqual(t.fake.calls, [], "nothing on the node changes at Allocate");
  for (
    const [ids, status] of [
      [["0000:00:03.0"], "NOT_FOUND"],
      [[], "INVALID_ARGUMENT"],
      [["0000:00:09.0", "0000:00:09.0"], "INVALID_ARGUMENT"],
    ] as const
  ) {
    await assert.rejects(
      t.pool().allocate([{ devices_ids: [...ids] }]),
      (error) => error instanceof PluginRequestError && error.status === status,
    );
  }
});

Deno.test("HostdevPool: an allocated NIC stays listed while it is in a pod, and is plain again once back", async () => {
  await using t = await setup();
  await t.pool().allocate([{ devices_ids: ["0000:00:0a.0"] }]);
  const ens10 = t.fake.get("ens10")!;
  t.fake.remove("ens10"); // the CNI moved it into the pod
  t.fake.remove("ens9"); // never allocated: simply gone
  await t.settle();
  assert.deepEqual(t.ids(), ["0000:00:0a.0 Healthy"]);
  t.fake.add({ ...ens10, name: "ens10" }); // DEL returned it
  await t.settle();
  assert.deepEqual(t.ids(), ["0000:00:0a.0 Healthy"]);
  t.fake.remove("ens10"); // gone again without an Allocate: no longer listed
  await t.settle();
  assert.deepEqual(t.ids(), []);
});

Deno.test("ResourceSet: hostdev entries by name, ownership in config order, kind switch replaces the pool", async () => {
  await using t = await setup(
    '[{"name":"first","kind":"hostdev","interfaces":["veth9","ens9"]},{"name":"nics","kind":"hostdev"}]',
    [{ name: "veth9", kind: "veth" }],
  );
  const first = t.served.get("macvtap.network.kubevirt.io/first")!;
  assert.deepEqual(first.devices().map((d) => d.ID), ["0000:00:09.0", "veth9"]);
  assert.deepEqual(t.ids(), ["0000:00:0a.0 Healthy"], "ens9 belongs to the earlier entry");
  await t.set.apply(
    parseConfig('[{"name":"first","lowerDevice":"ens9"},{"name":"nics","kind":"hostdev"}]', "t"),
  );
  const names = t.set.pools().map((p) => `${p.resourceName} ${"select" in p.config ? "hostdev" : "macvtap"}`);
  assert.deepEqual(names, ["macvtap.network.kubevirt.io/first macvtap", `${NICS} hostdev`]);
  assert.deepEqual(t.ids(), ["0000:00:0a.0 Healthy"], "ens9 is a macvtap lower now");
});

Deno.test("HostdevPool: a NIC renamed in place is one device, by PCI address or by its new name", async () => {
  await using t = await setup(
    '[{"name":"nics","kind":"hostdev","interfaces":["nicA","nicB","ens9"]}]',
    [{ name: "nicA", kind: "veth" }],
  );
  assert.deepEqual(t.ids(), ["0000:00:09.0 Healthy", "nicA Healthy"]);
  t.fake.rename("nicA", "nicB"); // udev, or DEL returning it under another name
  t.fake.rename("ens9", "nicA");
  await t.settle();
  assert.deepEqual(t.ids(), ["0000:00:09.0 Healthy", "nicB Healthy"], "no ghost under the old names");
});

Deno.test("HostdevPool lists one device per PCI address even when two links report it", async () => {
  await using t = await setup('[{"name":"nics","kind":"hostdev","pciAddresses":["0000:00:09.0"]}]');
  const { ifindex: _, ...ens9 } = t.fake.get("ens9")!;
  // A second netdev on the same PCI function (or a rename whose events were lost).
  t.fake.add({ ...ens9, name: "ens9d1" });
  await t.settle();
  assert.deepEqual(t.ids(), ["0000:00:09.0 Healthy"]);
});

Deno.test("HostdevPool: a multi-container Allocate answers each container with its own IDs, all checked first", async () => {
  await using t = await setup();
  const responses = await t.pool().allocate([{ devices_ids: ["0000:00:09.0"] }, {
    devices_ids: ["0000:00:0a.0"],
  }]);
  assert.deepEqual(responses.map((r) => r.envs.PCIDEVICE_MACVTAP_NETWORK_KUBEVIRT_IO_NICS), [
    "0000:00:09.0",
    "0000:00:0a.0",
  ]);
  await assert.rejects(
    t.pool().allocate([{ devices_ids: ["0000:00:09.0"] }, { devices_ids: ["0000:00:03.0"] }]),
    (error) => error instanceof PluginRequestError && error.status === "NOT_FOUND",
  );
});
