import assert from "node:assert/strict";
import { FakeHostLinks } from "../host/fake_host_links.ts";
import type { Link } from "../host/host_links.ts";
import { LinkTable } from "./link_table.ts";

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

Deno.test("LinkTable lists at start and follows new/del events", async () => {
  const fake = new FakeHostLinks([{ name: "eth0" }, { name: "lo", loopback: true }]);
  using table = await LinkTable.start(fake);
  assert.deepEqual(table.all().map((l) => l.name), ["eth0", "lo"]);
  const seen: [string, boolean][] = [];
  table.onChange((name, link) => seen.push([name, link !== undefined]));
  fake.add({ name: "bond0", kind: "bond" });
  fake.update("eth0", { carrier: false });
  fake.remove("bond0");
  await settle();
  assert.deepEqual(seen, [["bond0", true], ["eth0", true], ["bond0", false]]);
  assert.equal(table.get("eth0")?.carrier, false);
});

Deno.test("LinkTable ignores a stale delete of a link re-created under the same name", async () => {
  const fake = new FakeHostLinks([{ name: "eth0" }]);
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
  const fake = new FakeHostLinks([{ name: "eth0" }, { name: "eth1" }]);
  using table = await LinkTable.start(fake);
  const changes: [string, Link | undefined][] = [];
  table.onChange((name, link) => changes.push([name, link]));
  // Changes the table cannot see: the fake's list differs from what it reported.
  const listed = await fake.list();
  fake.list = () => Promise.resolve([{ ...listed[0], up: false }]);
  await table.resync();
  assert.deepEqual(changes.map(([name, link]) => [name, link?.up]), [["eth1", undefined], ["eth0", false]]);
});
