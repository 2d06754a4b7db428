import assert from "node:assert/strict";
import { FakeNodeLinks } from "../testing/fake_node_links.ts";
import type { Link } from "../links/node_links.ts";
import { LinkTable } from "./link_table.ts";

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

Deno.test("LinkTable lists at start and follows new/del events", async () => {
  const fake = new FakeNodeLinks([{ name: "eth0" }, { name: "lo", loopback: true }]);
  using table = await LinkTable.start(fake);
  assert.deepEqual(table.all().map((l) => l.name), ["eth0", "lo"]);
  const seen: [string, boolean][] = [];
  table.onChange((link, previous) => seen.push([(link ?? previous)!.name, link !== undefined]));
  fake.add({ name: "bond0", kind: "bond" });
  fake.update("eth0", { carrier: false });
  fake.remove("bond0");
  await settle();
  assert.deepEqual(seen, [["bond0", true], ["eth0", true], ["bond0", false]]);
  assert.equal(table.get("eth0")?.carrier, false);
});

Deno.test("LinkTable ignores a stale delete of a link re-created under the same name", async () => {
  const fake = new FakeNodeLinks([{ name: "eth0" }]);
  using table = await LinkTable.start(fake);
  const old = table.get("eth0")!;
  fake.remove("eth0");
  fake.add({ name: "eth0" });
  await settle();
  const fresh = table.get("eth0")!;
  assert.notEqual(fresh.ifindex, old.ifindex);
  // A del event for the old ifindex arriving late must not remove the new link.
  fake.inject({ type: "del", link: old });
  await settle();
  assert.equal(table.get("eth0")?.ifindex, fresh.ifindex);
});

Deno.test("LinkTable.resync() reports only what differs", async () => {
  const fake = new FakeNodeLinks([{ name: "eth0" }, { name: "eth1" }]);
  using table = await LinkTable.start(fake);
  const changes: [string, Link | undefined][] = [];
  table.onChange((link, previous) => changes.push([(link ?? previous)!.name, link]));
  // Changes the table cannot see: the fake's list differs from what it reported.
  const listed = await fake.list();
  fake.list = () => Promise.resolve([{ ...listed[0]!, up: false }]);
  await table.resync();
  assert.deepEqual(changes.map(([name, link]) => [name, link?.up]), [["eth1", undefined], ["eth0", false]]);
});

Deno.test("LinkTable applies a rename in place: no ghost under the old name, listeners see both names", async () => {
  const fake = new FakeNodeLinks([{ name: "up0" }]);
  using table = await LinkTable.start(fake);
  const ifindex = table.get("up0")!.ifindex;
  const seen: [string | undefined, string | undefined][] = [];
  table.onChange((link, previous) => seen.push([previous?.name, link?.name]));
  fake.rename("up0", "up9");
  await settle();
  assert.equal(table.get("up0"), undefined, "the old name is gone");
  assert.equal(table.get("up9")?.ifindex, ifindex);
  assert.equal(table.byIndex(ifindex)?.name, "up9");
  assert.deepEqual(table.all().map((l) => l.name), ["up9"]);
  assert.deepEqual(seen, [["up0", "up9"]]);
});

Deno.test("LinkTable keeps names unique: a link reported under a name another entry holds replaces it", async () => {
  const fake = new FakeNodeLinks([{ name: "nicA" }, { name: "nicB" }]);
  using table = await LinkTable.start(fake);
  const a = table.get("nicA")!;
  const b = table.get("nicB")!;
  // nicB's delete was lost; nicA is renamed to nicB.
  fake.inject({ type: "new", link: { ...a, name: "nicB" } });
  await settle();
  assert.deepEqual(table.all().map((l) => [l.name, l.ifindex]), [["nicB", a.ifindex]]);
  assert.equal(table.byIndex(b.ifindex), undefined);
});

Deno.test("LinkTable.resync() picks up a rename it missed", async () => {
  const fake = new FakeNodeLinks([{ name: "eth0" }]);
  using table = await LinkTable.start(fake);
  const listed = await fake.list();
  fake.list = () => Promise.resolve([{ ...listed[0]!, name: "ens3" }]);
  await table.resync();
  assert.deepEqual(table.all().map((l) => l.name), ["ens3"]);
  assert.equal(table.get("eth0"), undefined);
});

Deno.test("LinkTable.portsOf() lists a bond's slaves by masterIfindex", async () => {
  const fake = new FakeNodeLinks([{ name: "bond0", kind: "bond" }, { name: "eth0" }, { name: "eth1" }]);
  using table = await LinkTable.start(fake);
  const bond = table.get("bond0")!.ifindex;
  fake.update("eth0", { masterIfindex: bond });
  await settle();
  assert.deepEqual(table.portsOf(bond).map((l) => l.name), ["eth0"]);
});
