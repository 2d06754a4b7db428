import assert from "node:assert/strict";
import { FakeHostLinks } from "../host/fake_host_links.ts";
import { AllocationLedger } from "./allocation_ledger.ts";
import { collectStaleLinks, type HeldDevices } from "./stale_link_gc.ts";
import { tempLinkName } from "./temp_link_name.ts";

const MINUTE = 60_000;

function setup(held: HeldDevices[] | Error) {
  let clock = 1_000_000;
  const now = () => clock;
  const fake = new FakeHostLinks([{ name: "eth0" }], { now });
  const ledger = new AllocationLedger(now);
  const context = {
    hostLinks: fake,
    ledger,
    listHeldDevices: () => held instanceof Error ? Promise.reject(held) : Promise.resolve(held),
    graceMs: 2 * MINUTE,
    now,
  };
  return { fake, ledger, context, advance: (ms: number) => clock += ms };
}

Deno.test("collectStaleLinks() deletes old temp links no pod holds, and nothing else", async () => {
  const held = [{ resourceName: "macvtap.network.kubevirt.io/eth0", deviceIds: ["eth0Mvp1"] }];
  const t = setup(held);
  for (const id of ["eth0Mvp0", "eth0Mvp1"]) {
    await t.fake.createMacvtap({ name: tempLinkName(id), lower: "eth0", mode: "bridge" });
  }
  t.fake.add({ name: "macvtap0", kind: "macvtap" }); // someone else's macvtap
  t.fake.add({ name: "mvt000000000000", kind: "veth" }); // temp-looking name, wrong kind
  t.advance(3 * MINUTE);
  assert.deepEqual(await collectStaleLinks(t.context), [tempLinkName("eth0Mvp0")]);
  assert.ok(t.fake.get(tempLinkName("eth0Mvp1")), "held by a pod");
  assert.ok(t.fake.get("macvtap0"));
  assert.ok(t.fake.get("mvt000000000000"));
});

Deno.test("collectStaleLinks() spares links younger than the grace period", async () => {
  const t = setup([]);
  await t.fake.createMacvtap({ name: tempLinkName("eth0Mvp0"), lower: "eth0", mode: "bridge" });
  t.advance(MINUTE);
  assert.deepEqual(await collectStaleLinks(t.context), []);
  t.advance(MINUTE);
  assert.deepEqual(await collectStaleLinks(t.context), [tempLinkName("eth0Mvp0")]);
});

Deno.test("collectStaleLinks() spares links this daemon allocated recently, whatever the broker says", async () => {
  const t = setup([]);
  const name = tempLinkName("eth0Mvp0");
  await t.fake.createMacvtap({ name, lower: "eth0", mode: "bridge" });
  t.advance(3 * MINUTE);
  t.ledger.record(name); // e.g. re-created by Allocate after the broker restarted
  assert.deepEqual(await collectStaleLinks(t.context), []);
});

Deno.test("collectStaleLinks() deletes nothing when the kubelet cannot be asked", async () => {
  const t = setup(new Error("connect ENOENT"));
  await t.fake.createMacvtap({ name: tempLinkName("eth0Mvp0"), lower: "eth0", mode: "bridge" });
  t.advance(10 * MINUTE);
  assert.deepEqual(await collectStaleLinks(t.context), []);
  assert.ok(t.fake.get(tempLinkName("eth0Mvp0")));
});

Deno.test("collectStaleLinks() ignores devices of other resource domains", async () => {
  const t = setup([{ resourceName: "example.com/eth0", deviceIds: ["eth0Mvp0"] }]);
  await t.fake.createMacvtap({ name: tempLinkName("eth0Mvp0"), lower: "eth0", mode: "bridge" });
  t.advance(3 * MINUTE);
  assert.deepEqual(await collectStaleLinks(t.context), [tempLinkName("eth0Mvp0")]);
});
