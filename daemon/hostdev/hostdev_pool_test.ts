import assert from "node:assert/strict";
import { parseConfig } from "../config.ts";
import { type FakeLinkSpec, FakeNodeLinks, virtioNic } from "../testing/fake_node_links.ts";
import { PluginRequestError } from "../kubelet/api_types.ts";
import { LinkTable } from "../resources/link_table.ts";
import { HostdevPool } from "./hostdev_pool.ts";
import { assignNics } from "./nic_selection.ts";

/** A node with eth0 (virtio, default route) and two spare virtio NICs; one pool per hostdev entry of `config`. */
async function setup(config = '[{"name":"nics","kind":"hostdev"}]', extra: FakeLinkSpec[] = []) {
  const fake = new FakeNodeLinks([
    { name: "lo", loopback: true },
    virtioNic("eth0", "0000:00:03.0", { defaultRoute: true }),
    virtioNic("ens9", "0000:00:09.0", { numaNode: 0 }),
    virtioNic("ens10", "0000:00:0a.0"),
    ...extra,
  ]);
  const links = await LinkTable.start(fake);
  const { hostdevResources } = parseConfig(config, "test");
  // The NICs each entry owns, settled across entries as the resource set does.
  const nicsOf = (name: string) => assignNics(hostdevResources, links.all(), new Set()).get(name) ?? [];
  const pools = hostdevResources.map((resource) =>
    new HostdevPool(resource, { links, nics: () => nicsOf(resource.name) })
  );
  const pool = () => pools.find((each) => each.config.name === "nics")!;
  let changes = 0;
  pool().onDevicesChanged(() => changes++);
  return {
    fake,
    pool,
    changes: () => changes,
    ids: () => pool().devices().map((d) => `${d.ID} ${d.health}`),
    settle: () => new Promise((resolve) => setTimeout(resolve, 0)),
    [Symbol.dispose]() {
      for (const each of pools) each[Symbol.dispose]();
      links[Symbol.dispose]();
    },
  };
}

Deno.test("HostdevPool: one device per virtio NIC, ID = PCI address, never eth0 (default route)", async () => {
  using t = await setup();
  assert.equal(t.pool().socketName, "macvtap.network.kubevirt.io_nics");
  assert.deepEqual(t.pool().devices(), [
    { ID: "0000:00:09.0", health: "Healthy", topology: { nodes: [{ ID: 0 }] } },
    { ID: "0000:00:0a.0", health: "Healthy", topology: null },
  ]);
});

Deno.test("HostdevPool: up without carrier → Unhealthy; down → Healthy (carrier unknown); NICs come and go", async () => {
  using t = await setup();
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
  using t = await setup();
  t.fake.update("ens10", { defaultRoute: true });
  await t.settle();
  assert.deepEqual(t.ids(), ["0000:00:09.0 Healthy"]);
});

Deno.test("HostdevPool.allocate(): PCIDEVICE_<RESOURCE> env with the IDs, no device nodes; bad IDs refused", async () => {
  using t = await setup();
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
  using t = await setup();
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

Deno.test("HostdevPool: a NIC renamed in place is one device, by PCI address or by its new name", async () => {
  using t = await setup(
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
  using t = await setup('[{"name":"nics","kind":"hostdev","pciAddresses":["0000:00:09.0"]}]');
  const { ifindex: _, ...ens9 } = t.fake.get("ens9")!;
  // A second netdev on the same PCI function (or a rename whose events were lost).
  t.fake.add({ ...ens9, name: "ens9d1" });
  await t.settle();
  assert.deepEqual(t.ids(), ["0000:00:09.0 Healthy"]);
});

Deno.test("HostdevPool: a multi-container Allocate answers each container with its own IDs, all checked first", async () => {
  using t = await setup();
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
