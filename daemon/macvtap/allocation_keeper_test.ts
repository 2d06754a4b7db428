import assert from "node:assert/strict";
import { FakeNodeLinks } from "../testing/fake_node_links.ts";
import { memoryLogger } from "../log.ts";
import { AllocationCheckpoint, type AllocationRecord } from "./allocation_checkpoint.ts";
import { AllocationKeeper } from "./allocation_keeper.ts";
import { LinkTable } from "../resources/link_table.ts";
import type { HeldDevices } from "../resources/held_devices.ts";
import { tempLinkName } from "./temp_link_name.ts";

const MINUTE = 60_000;
const ETH0 = "macvtap.network.kubevirt.io/eth0";

async function setup() {
  let clock = 1_000_000;
  const now = () => clock;
  const fake = new FakeNodeLinks([{ name: "eth0" }], { now });
  const links = await LinkTable.start(fake);
  const checkpoint = await AllocationCheckpoint.open(null, { now });
  let held: HeldDevices[] | Error = [];
  const log = memoryLogger();
  const keeper = new AllocationKeeper({
    nodeLinks: fake,
    links,
    checkpoint,
    graceMs: 2 * MINUTE,
    now,
    log,
    listHeldDevices: () => held instanceof Error ? Promise.reject(held) : Promise.resolve(held),
    restore: async ({ deviceId, lower, mode, ifindex }: AllocationRecord) =>
      (await fake.createMacvtap({ name: tempLinkName(deviceId), lower, mode, ifindex })).ifindex,
  });
  /** Allocates like a pool: creates the link and records it. */
  const allocate = async (deviceId: string) => {
    const { ifindex } = await fake.createMacvtap({
      name: tempLinkName(deviceId),
      lower: "eth0",
      mode: "vepa",
    });
    await checkpoint.record([{ resourceName: ETH0, deviceId, lower: "eth0", mode: "vepa", ifindex }]);
    return ifindex;
  };
  return {
    fake,
    checkpoint,
    keeper,
    log,
    allocate,
    hold: (...ids: string[]) => held = [{ resourceName: ETH0, deviceIds: ids }],
    failList: () => held = new Error("connect ENOENT"),
    advance: async (ms: number) => {
      clock += ms;
      await new Promise((resolve) => setTimeout(resolve, 0)); // link events reach the table
    },
    [Symbol.dispose]: () => links[Symbol.dispose](),
  };
}

Deno.test("AllocationKeeper.restoreAll() re-creates every recorded link that exists nowhere, at its ifindex", async () => {
  using t = await setup();
  const gone = await t.allocate("eth0Mvp0");
  const present = await t.allocate("eth0Mvp1");
  await t.allocate("eth0Mvp2");
  t.fake.moveToPeer(tempLinkName("eth0Mvp2"), 3); // adopted by a pod's CNI ADD: lives in the pod
  await t.fake.deleteLink(tempLinkName("eth0Mvp0")); // a reboot took it
  await t.advance(0);
  const outcome = await t.keeper.restoreAll();
  assert.deepEqual(outcome.restored.map((r) => r.deviceId), ["eth0Mvp0"]);
  assert.equal(t.fake.get(tempLinkName("eth0Mvp0"))?.ifindex, gone);
  assert.equal(t.fake.get(tempLinkName("eth0Mvp1"))?.ifindex, present);
  assert.equal(t.fake.get(tempLinkName("eth0Mvp2")), undefined, "not duplicated while its pod holds it");
  assert.ok(t.log.records.some((r) => r.msg.startsWith("re-created the temp link") && r.ifindex === gone));
});

Deno.test("AllocationKeeper: a re-created sandbox gets its device's link back, at the same ifindex", async () => {
  using t = await setup();
  const ifindex = await t.allocate("eth0Mvp0");
  t.hold("eth0Mvp0");
  t.fake.moveToPeer(tempLinkName("eth0Mvp0"), 0); // CNI ADD
  assert.deepEqual((await t.keeper.pass()).restored, [], "in the pod: left alone");
  t.fake.deletePeer(ifindex); // the sandbox goes: CNI DEL deletes the macvtap; the pod stays
  assert.deepEqual((await t.keeper.pass()).restored, ["eth0Mvp0"]);
  assert.equal(t.fake.get(tempLinkName("eth0Mvp0"))?.ifindex, ifindex);
  assert.equal(t.fake.get(tempLinkName("eth0Mvp0"))?.macvtapMode, "vepa");
});

Deno.test("AllocationKeeper.pass() re-creates only for devices a pod still holds", async () => {
  using t = await setup();
  await t.allocate("eth0Mvp0");
  await t.allocate("eth0Mvp1");
  await t.fake.deleteLink(tempLinkName("eth0Mvp0"));
  await t.fake.deleteLink(tempLinkName("eth0Mvp1"));
  t.hold("eth0Mvp1");
  assert.deepEqual((await t.keeper.pass()).restored, ["eth0Mvp1"]);
  assert.equal(t.fake.get(tempLinkName("eth0Mvp0")), undefined);
});

Deno.test("AllocationKeeper: after a kubelet restart nothing is collected until the List is stable", async () => {
  using t = await setup();
  await t.allocate("eth0Mvp0");
  t.hold("eth0Mvp0");
  await t.advance(3 * MINUTE);
  assert.equal((await t.keeper.pass()).collected, false, "paused at daemon start");
  await t.advance(2 * MINUTE);
  assert.equal((await t.keeper.pass()).collected, true);
  t.keeper.kubeletRestarted();
  t.hold(); // the restarted kubelet's List does not name the pod yet
  await t.advance(MINUTE);
  assert.deepEqual(await t.keeper.pass(), { collected: false, restored: [], deleted: [], released: [] });
  t.hold("eth0Mvp0"); // … now it does: changed, so the wait starts again
  await t.advance(MINUTE);
  assert.equal((await t.keeper.pass()).collected, false);
  assert.ok(t.fake.get(tempLinkName("eth0Mvp0")), "the pod's link survived the incomplete List");
  t.hold();
  await t.advance(2 * MINUTE);
  await t.keeper.pass();
  await t.advance(2 * MINUTE);
  const pass = await t.keeper.pass(); // the pod is gone, and the List has said so for the grace period
  assert.deepEqual([pass.collected, pass.deleted, pass.released], [true, [tempLinkName("eth0Mvp0")], [
    "eth0Mvp0",
  ]]);
});

Deno.test("AllocationKeeper never collects a link allocated within the grace period", async () => {
  using t = await setup();
  await t.keeper.pass();
  await t.advance(2 * MINUTE);
  assert.equal((await t.keeper.pass()).collected, true);
  await t.allocate("eth0Mvp0"); // the kubelet has not reported the pod yet
  await t.advance(MINUTE);
  assert.deepEqual((await t.keeper.pass()).deleted, []);
  await t.advance(MINUTE);
  assert.deepEqual((await t.keeper.pass()).deleted, [tempLinkName("eth0Mvp0")]);
});

Deno.test("AllocationKeeper does nothing when the kubelet cannot be asked", async () => {
  using t = await setup();
  await t.allocate("eth0Mvp0");
  await t.fake.deleteLink(tempLinkName("eth0Mvp0"));
  await t.allocate("eth0Mvp1");
  t.failList();
  await t.advance(10 * MINUTE);
  assert.deepEqual(await t.keeper.pass(), { collected: false, restored: [], deleted: [], released: [] });
  assert.ok(t.fake.get(tempLinkName("eth0Mvp1")));
});

Deno.test("AllocationKeeper logs a record it cannot restore because its ifindex is taken", async () => {
  using t = await setup();
  const ifindex = await t.allocate("eth0Mvp0");
  t.hold("eth0Mvp0");
  t.fake.remove(tempLinkName("eth0Mvp0"));
  t.fake.add({ name: "veth9", kind: "veth", ifindex }); // another pod's veth got the ifindex first
  await t.advance(0);
  assert.deepEqual((await t.keeper.pass()).restored, []);
  const error = t.log.records.find((r) => r.msg.startsWith("cannot re-create the temp link"));
  assert.equal(error?.ifindexTakenBy, "veth9");
});
