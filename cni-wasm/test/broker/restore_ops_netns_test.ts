// The built link broker's support for restoring allocations after a node reboot or a sandbox re-creation (the
// daemon re-creates each allocated macvtap at its old ifindex, so /dev/tapN keeps its name) and for a bond's
// NUMA node (the one its ports agree on), in throwaway namespaces: createMacvtap at a requested ifindex,
// listPeerMacvtaps (macvtaps moved into another netns, as the CNI does), and masterIfindex on ports.
import assert from "node:assert/strict";
import { TestNetns, uniqueIfindex } from "../../../testing/netns.ts";
import { Broker, buildBroker, type Line } from "./_broker_process.ts";
import { rootTest } from "../../../testing/root_gate.ts";

const TEMP = "mvt00000000a001";
const OTHER = "mvt00000000a002";

interface PeerMacvtap {
  netnsId: number;
  ifindex: number;
  lowerIfindex: number;
  name: string;
}

async function ask(broker: Broker, id: number, request: Line): Promise<Line> {
  await broker.send({ id, ...request });
  return await broker.answer(id);
}

rootTest(
  "link broker: createMacvtap at a requested ifindex; EEXIST when it is taken; bad ifindex refused",
  async () => {
    await buildBroker();
    await using node = await TestNetns.create("broker-ifx");
    await node.addVeth("lower0", "peer0");
    await using broker = new Broker(node);
    const ifindex = uniqueIfindex();
    const created = await ask(broker, 1, {
      op: "createMacvtap",
      name: TEMP,
      lower: "lower0",
      mode: "vepa",
      ifindex,
    });
    assert.deepEqual(created.result, { ifindex, name: TEMP });
    const link = await node.link(TEMP);
    assert.equal(link?.ifindex, ifindex);
    assert.equal(link?.linkinfo?.info_data?.mode, "vepa");
    assert.ok(link?.flags.includes("UP"));
    assert.ok((await Deno.stat(`/dev/tap${ifindex}`)).isCharDevice, "the kernel made /dev/tapN for it");

    const taken = await ask(broker, 2, {
      op: "createMacvtap",
      name: OTHER,
      lower: "lower0",
      mode: "bridge",
      ifindex,
    });
    assert.equal((taken.error as Line)?.code, "EEXIST");
    assert.match(String((taken.error as Line)?.message), new RegExp(`ifindex ${ifindex}`));
    assert.equal(await node.link(OTHER), null, "nothing left behind");

    for (const [id, bad] of [[3, 0], [4, -5], [5, 1.5], [6, 2 ** 31], [7, "12"]] as const) {
      const answer = await ask(broker, id, {
        op: "createMacvtap",
        name: OTHER,
        lower: "lower0",
        mode: "bridge",
        ifindex: bad,
      });
      assert.equal((answer.error as Line)?.code, "EPROTO", `ifindex ${JSON.stringify(bad)}`);
    }
    assert.equal(await node.link(OTHER), null);
  },
);

rootTest(
  "link broker: listPeerMacvtaps reports a macvtap moved into another netns until it is deleted there",
  async () => {
    await buildBroker();
    await using node = await TestNetns.create("broker-peer");
    await using pod = await TestNetns.create("broker-pod");
    await node.addVeth("lower0", "peer0");
    await using broker = new Broker(node);
    const list = async (id: number) =>
      ((await ask(broker, id, { op: "listPeerMacvtaps" })).result as { macvtaps: PeerMacvtap[] }).macvtaps;
    assert.deepEqual(await list(1), [], "no peer netns yet");

    const index = await node.addMacvtap(TEMP, "lower0");
    const lower = (await node.link("lower0"))!.ifindex;
    await node.ip("link", "set", TEMP, "netns", pod.name, "name", "net1");
    // A veth end in the pod too: a peer netns link that is not a macvtap is not reported.
    await node.addVeth("side0", "side1", pod);
    const moved = await list(2);
    assert.equal(moved.length, 1, JSON.stringify(moved));
    assert.deepEqual({ ...moved[0], netnsId: 0 }, {
      netnsId: 0,
      ifindex: index,
      lowerIfindex: lower,
      name: "net1",
    });
    assert.ok(moved[0]!.netnsId >= 0);

    await pod.ip("link", "del", "net1");
    assert.deepEqual(await list(3), [], "deleted in the pod: gone everywhere");
  },
);

rootTest(
  "link broker: a port's link reports masterIfindex (how the daemon finds a bond's slaves)",
  async () => {
    await buildBroker();
    await using node = await TestNetns.create("broker-master");
    await node.addVeth("port0", "peer0");
    await node.ip("link", "add", "br0", "type", "bridge");
    await node.ip("link", "set", "port0", "master", "br0");
    await using broker = new Broker(node);
    const links = ((await ask(broker, 1, { op: "list" })).result as { links: Line[] }).links;
    const byName = new Map(links.map((l) => [l.name, l]));
    assert.equal(byName.get("port0")?.masterIfindex, byName.get("br0")?.ifindex);
    assert.equal(byName.get("peer0")?.masterIfindex, undefined);
  },
);
