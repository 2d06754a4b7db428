import assert from "node:assert/strict";
import { FakeNodeLinks } from "../testing/fake_node_links.ts";
import { AllocationCheckpoint } from "./allocation_checkpoint.ts";
import type { HeldDevices } from "../resources/held_devices.ts";
import { collectStaleLinks, releaseRecords } from "./stale_link_gc.ts";
import { tempLinkName } from "./temp_link_name.ts";

const MINUTE = 60_000;
const ETH0 = "macvtap.network.kubevirt.io/eth0";

async function setup() {
  let clock = 1_000_000;
  const now = () => clock;
  const fake = new FakeNodeLinks([{ name: "eth0" }], { now });
  const checkpoint = await AllocationCheckpoint.open(null, { now });
  const context = { nodeLinks: fake, checkpoint, graceMs: 2 * MINUTE, now };
  const collect = async (held: HeldDevices[]) => collectStaleLinks(context, held, await fake.listTempLinks());
  return { fake, checkpoint, context, collect, advance: (ms: number) => clock += ms };
}

Deno.test("collectStaleLinks() deletes old temp links no pod holds, and nothing else", async () => {
  const t = await setup();
  for (const id of ["eth0Mvp0", "eth0Mvp1"]) {
    await t.fake.createMacvtap({ name: tempLinkName(id), lower: "eth0", mode: "bridge" });
  }
  t.fake.add({ name: "macvtap0", kind: "macvtap" }); // someone else's macvtap
  t.fake.add({ name: "mvt000000000000", kind: "veth" }); // temp-looking name, wrong kind
  t.advance(3 * MINUTE);
  const held = [{ resourceName: ETH0, deviceIds: ["eth0Mvp1"] }];
  assert.deepEqual(await t.collect(held), [tempLinkName("eth0Mvp0")]);
  assert.ok(t.fake.get(tempLinkName("eth0Mvp1")), "held by a pod");
  assert.ok(t.fake.get("macvtap0"));
  assert.ok(t.fake.get("mvt000000000000"));
});

Deno.test("collectStaleLinks() spares links younger than the grace period", async () => {
  const t = await setup();
  await t.fake.createMacvtap({ name: tempLinkName("eth0Mvp0"), lower: "eth0", mode: "bridge" });
  t.advance(MINUTE);
  assert.deepEqual(await t.collect([]), []);
  t.advance(MINUTE);
  assert.deepEqual(await t.collect([]), [tempLinkName("eth0Mvp0")]);
});

Deno.test("collectStaleLinks() spares links allocated within the grace period, whatever the broker says", async () => {
  const t = await setup();
  const name = tempLinkName("eth0Mvp0");
  await t.fake.createMacvtap({ name, lower: "eth0", mode: "bridge" });
  t.advance(3 * MINUTE);
  // Allocated again just now (the kept link is old): a pod is being admitted with it.
  await t.checkpoint.record([{
    resourceName: ETH0,
    deviceId: "eth0Mvp0",
    lower: "eth0",
    mode: "bridge",
    ifindex: 5,
  }]);
  assert.deepEqual(await t.collect([]), []);
  t.advance(2 * MINUTE);
  assert.deepEqual(await t.collect([]), [name]);
});

Deno.test("collectStaleLinks() ignores devices of other resource domains", async () => {
  const t = await setup();
  await t.fake.createMacvtap({ name: tempLinkName("eth0Mvp0"), lower: "eth0", mode: "bridge" });
  t.advance(3 * MINUTE);
  assert.deepEqual(await t.collect([{ resourceName: "example.com/eth0", deviceIds: ["eth0Mvp0"] }]), [
    tempLinkName("eth0Mvp0"),
  ]);
});

Deno.test("releaseRecords() forgets allocations no pod holds, once older than the grace period", async () => {
  const t = await setup();
  const record = (deviceId: string) => ({
    resourceName: ETH0,
    deviceId,
    lower: "eth0",
    mode: "bridge" as const,
  });
  await t.checkpoint.record([{ ...record("eth0Mvp0"), ifindex: 7 }, { ...record("eth0Mvp1"), ifindex: 8 }]);
  const held = [{ resourceName: ETH0, deviceIds: ["eth0Mvp1"] }];
  assert.deepEqual(await releaseRecords(t.context, held), [], "too young");
  t.advance(3 * MINUTE);
  assert.deepEqual(await releaseRecords(t.context, held), ["eth0Mvp0"]);
  assert.deepEqual(t.checkpoint.all().map((r) => r.deviceId), ["eth0Mvp1"]);
  // Another resource's device of the same ID is not this one.
  assert.deepEqual(
    await releaseRecords(t.context, [{
      resourceName: "macvtap.network.kubevirt.io/x",
      deviceIds: ["eth0Mvp1"],
    }]),
    [
      "eth0Mvp1",
    ],
  );
});
