// The built link broker's hostdev facts in a throwaway node netns: a link is flagged `defaultRoute` in `list`
// while it carries a default route of any table (policy routing sends node traffic through tables other than
// main), and after `watch` it is reported again (a `new` event) the moment it gains or loses one — a NIC that
// gets the default route after coming up (DHCP) must leave the hostdev offer then, not at the next list.
import assert from "node:assert/strict";
import { ip, TestNetns } from "../../../testing/netns.ts";
import { Broker, buildBroker, type Line } from "./_broker_process.ts";
import { rootTest } from "../../../testing/root_gate.ts";

type Link = { name: string; defaultRoute?: boolean };

const linkEvent = (name: string) => (line: Line) =>
  line.event === "link" && (line.link as Link).name === name && line.action === "new";

rootTest(
  "link broker: defaultRoute in list and as events when a default route comes and goes",
  async () => {
    await buildBroker();
    await using node = await TestNetns.create("broker-routes");
    await node.addVeth("nic0", "nic0p");
    await node.addVeth("nic1", "nic1p");
    await node.addVeth("nic2", "nic2p");
    await node.ip("addr", "add", "10.30.0.2/24", "dev", "nic0");
    await node.ip("addr", "add", "10.31.0.2/24", "dev", "nic1");
    await node.ip("addr", "add", "10.32.0.2/24", "dev", "nic2");
    await node.ip("route", "add", "default", "via", "10.30.0.1", "dev", "nic0");
    await node.ip("route", "add", "default", "via", "10.31.0.1", "dev", "nic1", "table", "100");
    await using broker = new Broker(node);
    await broker.next((line) => "hello" in line);
    await broker.send({ id: 1, op: "list" });
    const listed = ((await broker.answer(1)).result as { links: Link[] }).links;
    const flagged = listed.filter((l) => l.defaultRoute).map((l) => l.name);
    assert.deepEqual(flagged, ["nic0", "nic1"], "the main table's default route and table 100's");

    await broker.send({ id: 2, op: "watch" });
    await broker.answer(2);
    await node.ip("route", "del", "default", "via", "10.30.0.1", "dev", "nic0");
    const lost = await broker.next(linkEvent("nic0"));
    assert.equal((lost.link as Link).defaultRoute, undefined, "nic0 lost its default route");
    await node.ip("route", "add", "default", "via", "10.32.0.1", "dev", "nic2", "table", "200");
    const gained = await broker.next(linkEvent("nic2"));
    assert.equal((gained.link as Link).defaultRoute, true, "nic2 gained a default route (table 200)");
  },
);

rootTest(
  "link broker on this machine, list only (read-only): eth0 is a virtio_net NIC with a PCI address and the default route",
  async () => {
    await buildBroker();
    const [eth0] = JSON.parse(await ip("-j", "-d", "link", "show", "eth0"));
    await using broker = new Broker({ path: "/proc/self/ns/net" });
    await broker.next((line) => "hello" in line);
    await broker.send({ id: 1, op: "list" });
    const links = ((await broker.answer(1)).result as { links: (Link & Record<string, unknown>)[] }).links;
    const reported = links.find((l) => l.name === "eth0")!;
    assert.equal(reported.ifindex, eth0.ifindex);
    assert.equal(reported.defaultRoute, true);
    if (eth0.parentbus === "virtio") {
      assert.equal(reported.driver, "virtio_net");
      assert.match(String(reported.pciAddress), /^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/);
    }
  },
);
