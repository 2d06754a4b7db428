import assert from "node:assert/strict";
import { BrokerNodeLinks } from "./broker_node_links.ts";
import { FakeNodeLinks } from "../testing/fake_node_links.ts";
import { type LinkEvent, NodeLinkError } from "./node_links.ts";
import { inMemoryBroker } from "../testing/in_memory_broker.ts";

function nextEvent(events: LinkEvent[], count: number): Promise<void> {
  return new Promise((resolve) => {
    const poll = () => events.length >= count ? resolve() : setTimeout(poll, 1);
    poll();
  });
}

Deno.test("BrokerNodeLinks lists, creates and deletes through the protocol", async () => {
  const fake = new FakeNodeLinks([{ name: "eth0", parentDevName: "virtio2" }]);
  await using links = new BrokerNodeLinks(inMemoryBroker(fake).factory);
  await links.ready();
  assert.deepEqual((await links.list()).map((l) => l.name), ["eth0"]);
  const created = await links.createMacvtap({ name: "mvtf2644cc3624e", lower: "eth0", mode: "vepa" });
  assert.equal(created.ifindex, fake.get("mvtf2644cc3624e")?.ifindex);
  assert.deepEqual((await links.listTempLinks()).map((l) => [l.name, l.macvtapMode]), [[
    "mvtf2644cc3624e",
    "vepa",
  ]]);
  assert.equal(await links.deleteLink("mvtf2644cc3624e"), true);
  assert.equal(await links.deleteLink("mvtf2644cc3624e"), false);
  assert.deepEqual(fake.calls, ["create mvtf2644cc3624e on eth0 mode vepa", "delete mvtf2644cc3624e"]);
});

Deno.test("BrokerNodeLinks passes errno codes through and the broker refuses non-temp names", async () => {
  const fake = new FakeNodeLinks([{ name: "eth0" }]);
  await using links = new BrokerNodeLinks(inMemoryBroker(fake).factory);
  await assert.rejects(
    links.createMacvtap({ name: "mvtf2644cc3624e", lower: "eth9", mode: "bridge" }),
    (error: unknown) =>
      error instanceof NodeLinkError && error.code === "ENODEV" && /eth9/.test(error.message),
  );
  await assert.rejects(
    links.deleteLink("eth0"),
    (e: unknown) => e instanceof NodeLinkError && e.code === "EPERM",
  );
  await assert.rejects(
    links.createMacvtap({ name: "evil0", lower: "eth0", mode: "bridge" }),
    (e: unknown) => e instanceof NodeLinkError && e.code === "EPERM",
  );
  assert.ok(fake.get("eth0"), "the broker must never touch eth0");
});

Deno.test("BrokerNodeLinks delivers link events to watchers until disposed", async () => {
  const fake = new FakeNodeLinks([{ name: "eth0" }]);
  await using links = new BrokerNodeLinks(inMemoryBroker(fake).factory);
  const events: LinkEvent[] = [];
  const watch = await links.watch((event) => events.push(event));
  fake.update("eth0", { carrier: false });
  fake.remove("eth0");
  await nextEvent(events, 2);
  assert.deepEqual(events.map((e) => e.type === "resync" ? e.type : [e.type, e.link.name, e.link.carrier]), [
    ["new", "eth0", false],
    ["del", "eth0", false],
  ]);
  watch[Symbol.dispose]();
  fake.add({ name: "eth1" });
  await links.list(); // a round trip: the event, if any, would have arrived by now
  assert.equal(events.length, 2);
});

Deno.test("BrokerNodeLinks restarts a crashed broker and tells watchers to resync", async () => {
  const fake = new FakeNodeLinks([{ name: "eth0" }]);
  const broker = inMemoryBroker(fake);
  await using links = new BrokerNodeLinks(broker.factory, { restartDelaysMs: [1] });
  const events: LinkEvent[] = [];
  using _watch = await links.watch((event) => events.push(event));
  broker.crash();
  await nextEvent(events, 1);
  assert.deepEqual(events, [{ type: "resync", reason: "link broker restarted" }]);
  assert.equal(broker.starts, 2);
  assert.deepEqual((await links.list()).map((l) => l.name), ["eth0"]);
  fake.update("eth0", { up: false });
  await nextEvent(events, 2);
  assert.equal(events[1]!.type, "new", "the new broker was asked to watch");
});

Deno.test("BrokerNodeLinks fails requests with ETIMEDOUT when the broker does not answer", async () => {
  const fake = new FakeNodeLinks([]);
  let unwedge = () => {};
  fake.list = () => new Promise((resolve) => unwedge = () => resolve([])); // a wedged netlink dump
  await using links = new BrokerNodeLinks(inMemoryBroker(fake).factory, { requestTimeoutMs: 50 });
  await assert.rejects(links.list(), (e: unknown) => e instanceof NodeLinkError && e.code === "ETIMEDOUT");
  unwedge(); // the late answer is dropped; lets the in-memory broker finish
});

Deno.test("BrokerNodeLinks rejects a broker that speaks another protocol version", async () => {
  const transport = () => {
    const out = new TransformStream<Uint8Array, Uint8Array>();
    const writer = out.writable.getWriter();
    writer.write(
      new TextEncoder().encode('{"hello":"macvtap-link-broker","version":2,"implementation":"x"}\n'),
    );
    let exit!: (reason: string) => void;
    const exited = new Promise<string>((resolve) => exit = resolve);
    return {
      readable: out.readable,
      writable: new WritableStream<Uint8Array>(),
      exited,
      kill: () => void writer.close().then(() => exit("killed"), () => exit("killed")),
    };
  };
  const links = new BrokerNodeLinks(transport, { restartDelaysMs: [60_000] });
  await assert.rejects(links.ready(), /speaks version 2, need 1/);
  await links[Symbol.asyncDispose]();
});

Deno.test("BrokerNodeLinks creates at a requested ifindex and lists macvtaps moved into pods", async () => {
  const fake = new FakeNodeLinks([{ name: "eth0", parentDevName: "virtio2" }]);
  await using links = new BrokerNodeLinks(inMemoryBroker(fake).factory);
  await links.ready();
  const created = await links.createMacvtap({
    name: "mvtf2644cc3624e",
    lower: "eth0",
    mode: "vepa",
    ifindex: 777,
  });
  assert.equal(created.ifindex, 777);
  await assert.rejects(
    links.createMacvtap({ name: "mvtf2644cc3624f", lower: "eth0", mode: "vepa", ifindex: 777 }),
    (e: unknown) => e instanceof NodeLinkError && e.code === "EEXIST",
  );
  assert.deepEqual(await links.listPeerMacvtaps(), []);
  const peer = fake.moveToPeer("mvtf2644cc3624e", 2);
  assert.deepEqual(await links.listPeerMacvtaps(), [peer]);
  assert.deepEqual(peer, { netnsId: 2, ifindex: 777, lowerIfindex: fake.get("eth0")!.ifindex, name: "net1" });
});
