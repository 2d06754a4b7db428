import assert from "node:assert/strict";
import { headerOf, loadNetlink } from "./_netlink_module.ts";
import { bytesToHex, fixtureSection, loadFixture } from "./_fixtures.ts";

const { nl } = await loadNetlink();

const RTM_NEWLINK = 16;
const RTM_DELLINK = 17;
const NLM_F_REQUEST = 0x1;
const NLM_F_ACK = 0x4;
const NLM_F_EXCL = 0x200;
const NLM_F_CREATE = 0x400;
const IFF_UP = 0x1;
const IFF_PROMISC = 0x100;

// deno-lint-ignore no-explicit-any
type Json = Record<string, any>;

function links(datagram: Uint8Array): Json[] {
  const described = JSON.parse(nl.describe(datagram));
  assert.equal(described.error, undefined);
  return described.messages.filter((m: Json) => m.link).map((m: Json) => m.link);
}

function dumpedLinks(fixture: string): Map<string, Json> {
  const byName = new Map<string, Json>();
  for (const [section, bytes] of loadFixture(fixture)) {
    if (section.startsWith("reply")) { for (const link of links(bytes)) byName.set(link.name, link); }
  }
  return byName;
}

Deno.test("link decode: a recorded dump with lo, veth, bridge port, bridge, macvlan and two macvtaps", () => {
  const dump = dumpedLinks("link_dump");
  assert.deepEqual([...dump.keys()].sort(), ["br0", "lo", "mvl0", "mvtb", "mvtv", "vlo0", "vlo1"]);
  const lo = dump.get("lo")!;
  assert.equal(lo.index, 1);
  assert.equal(lo.ifType, 772); // ARPHRD_LOOPBACK
  assert.equal(lo.linkInfo, undefined);
  assert.equal(lo.mtu, 65536);

  const vlo0 = dump.get("vlo0")!;
  assert.equal(vlo0.address, "02:00:00:00:00:01");
  assert.deepEqual(vlo0.linkInfo, { kind: "veth" });
  assert.equal(vlo0.link, dump.get("vlo1")!.index);
  assert.equal(vlo0.flags & IFF_UP, IFF_UP);

  const port = dump.get("vlo1")!;
  assert.deepEqual(port.linkInfo, { kind: "veth", slaveKind: "bridge" });
  assert.equal(port.master, dump.get("br0")!.index);
  assert.deepEqual(dump.get("br0")!.linkInfo, { kind: "bridge" });

  const macvlanData = { flags: 0, macaddrCount: 0, bcQueueLen: 1000 };
  assert.deepEqual(dump.get("mvtb")!.linkInfo, {
    kind: "macvtap",
    macvlan: { mode: "bridge", ...macvlanData },
  });
  assert.deepEqual(dump.get("mvtv")!.linkInfo, {
    kind: "macvtap",
    macvlan: { mode: "vepa", ...macvlanData },
  });
  assert.deepEqual(dump.get("mvl0")!.linkInfo, {
    kind: "macvlan",
    macvlan: { mode: "private", ...macvlanData },
  });
  for (const name of ["mvtb", "mvtv", "mvl0"]) assert.equal(dump.get(name)!.link, vlo0.index, name);
  assert.ok(dump.get("mvtb")!.index >= 1_000_000, "test macvtaps get a unique ifindex");
  assert.equal(dump.get("mvtb")!.operstate, 6); // IF_OPER_UP
  assert.equal(dump.get("mvtv")!.operstate, 2); // IF_OPER_DOWN
});

Deno.test("link decode: a dump without stats decodes to the same links", () => {
  const full = dumpedLinks("link_dump");
  const slim = dumpedLinks("link_dump_skip_stats");
  assert.deepEqual([...slim.keys()].sort(), [...full.keys()].sort());
  for (const [name, link] of slim) assert.deepEqual(link, full.get(name), name);
});

Deno.test("link decode: the machine's eth0 names its parent device; bond0 has kind bond", () => {
  const [eth0] = links(fixtureSection("link_eth0", "reply-1"));
  assert.ok(eth0, "the reply has a link");
  assert.equal(eth0.name, "eth0");
  assert.equal(eth0.parentDevName, "virtio2");
  assert.equal(eth0.parentBusName, "virtio");
  assert.equal(eth0.permAddress, eth0.address);
  assert.equal(eth0.linkInfo, undefined, "a NIC has no IFLA_LINKINFO kind");
  const [bond0] = links(fixtureSection("link_bond0", "reply-1"));
  assert.ok(bond0, "the reply has a link");
  assert.deepEqual(bond0.linkInfo, { kind: "bond" });
  assert.equal(bond0.parentDevName, undefined);
  const { name: _a, parentDevName: _b, parentBusName: _c, linkInfo: _d, ...ethRest } = eth0;
  const { name: _e, linkInfo: _f, ...bondRest } = bond0;
  assert.deepEqual(bondRest, ethRest, "bond0 is eth0 re-encoded (see the fixture header)");
});

Deno.test("link decode: multicast events while a veth pair is created, raised and deleted", () => {
  const events = [...loadFixture("link_events").values()].flatMap((d) => JSON.parse(nl.describe(d)).messages);
  assert.ok(events.length >= 4);
  assert.ok(events.every((e: Json) => e.seq === 0 && e.pid === 0), "events are not replies");
  const types = events.map((e: Json) => `${e.type} ${e.link.name}`);
  assert.equal(types[0], "RTM_NEWLINK evt1");
  assert.ok(types.includes("RTM_DELLINK evt0") && types.includes("RTM_DELLINK evt1"), types.join(", "));
  const up = events.find((e: Json) =>
    e.type === "RTM_NEWLINK" && e.link.name === "evt0" && e.link.flags & IFF_UP
  );
  assert.ok(up, "one event shows evt0 up");
});

interface EncodeCase {
  name: string;
  type: number;
  flags: number;
  params: Json;
  /** Section of iproute2_requests.hex the bytes must equal (its seq copied). */
  golden: string;
}

/** Values the golden requests were recorded with, read from the fixtures themselves. */
function goldenLink(section: string): Json {
  const [link] = links(fixtureSection("iproute2_requests", section));
  assert.ok(link, `iproute2_requests has a link request in ${section}`);
  return link;
}

const ENCODE_CASES: EncodeCase[] = [
  {
    name: "create macvtap in bridge mode with a chosen ifindex",
    type: RTM_NEWLINK,
    flags: NLM_F_REQUEST | NLM_F_ACK | NLM_F_EXCL | NLM_F_CREATE,
    params: {
      index: goldenLink("newlink-macvtap-bridge").index,
      link: 3,
      name: "mvt0",
      linkInfo: { kind: "macvtap", macvlan: { mode: "bridge" } },
    },
    golden: "newlink-macvtap-bridge",
  },
  {
    name: "create macvlan in vepa mode",
    type: RTM_NEWLINK,
    flags: NLM_F_REQUEST | NLM_F_ACK | NLM_F_EXCL | NLM_F_CREATE,
    params: { link: 3, name: "mvl9", linkInfo: { kind: "macvlan", macvlan: { mode: "vepa" } } },
    golden: "newlink-macvlan-vepa",
  },
  {
    name: "rename, MAC, MTU, up and promisc in one message",
    type: RTM_NEWLINK,
    flags: NLM_F_REQUEST | NLM_F_ACK,
    params: {
      index: goldenLink("setlink-configure").index,
      name: "net1",
      address: "02:42:ac:11:00:07",
      mtu: 1400,
      up: true,
      promisc: true,
    },
    golden: "setlink-configure",
  },
  {
    name: "move into a netns by fd",
    type: RTM_NEWLINK,
    flags: NLM_F_REQUEST | NLM_F_ACK,
    params: { index: goldenLink("setlink-netns").index, netnsFd: goldenLink("setlink-netns").netnsFd },
    golden: "setlink-netns",
  },
  {
    name: "delete by ifindex",
    type: RTM_DELLINK,
    flags: NLM_F_REQUEST | NLM_F_ACK,
    params: { index: goldenLink("dellink").index },
    golden: "dellink",
  },
];

Deno.test("link encode: byte-equal to what iproute2 sends for the same operation", () => {
  for (const c of ENCODE_CASES) {
    const golden = fixtureSection("iproute2_requests", c.golden);
    const bytes = nl.encodeLink(c.type, c.flags, headerOf(golden).seq, JSON.stringify(c.params));
    assert.equal(nl.encodeError(), "", c.name);
    assert.equal(bytesToHex(bytes), bytesToHex(golden), c.name);
  }
});

const ROUND_TRIPS: Array<{ name: string; params: Json }> = [
  { name: "empty request", params: {} },
  { name: "up only", params: { index: 7, flags: IFF_UP, change: IFF_UP } },
  { name: "promisc off", params: { index: 7, flags: 0, change: IFF_PROMISC } },
  { name: "zero MTU is still set", params: { index: 7, mtu: 0 } },
  { name: "master 0 detaches", params: { index: 7, master: 0 } },
  {
    name: "every field",
    params: {
      family: 0,
      ifType: 1,
      index: 42,
      flags: 0x11043,
      change: 0,
      name: "mvtf2644cc3624e",
      address: "02:00:00:00:00:07",
      broadcast: "ff:ff:ff:ff:ff:ff",
      permAddress: "02:00:00:00:00:08",
      alias: "pod eth0",
      parentDevName: "0000:3b:00.0",
      parentBusName: "pci",
      mtu: 9000,
      link: 3,
      master: 4,
      txqlen: 500,
      operstate: 6,
      carrier: 1,
      netnsFd: 5,
      netnsPid: 1234,
      group: 0,
      promiscuity: 1,
      numTxQueues: 2,
      numRxQueues: 2,
      linkNetnsId: 0,
      minMtu: 68,
      maxMtu: 65535,
      extMask: 8,
      linkInfo: {
        kind: "macvtap",
        macvlan: { mode: "passthru", flags: 1, macaddrCount: 0, bcQueueLen: 1000 },
      },
    },
  },
  { name: "bridge port", params: { index: 2, linkInfo: { kind: "veth", slaveKind: "bridge" } } },
  { name: "source mode", params: { linkInfo: { kind: "macvlan", macvlan: { mode: "source" } } } },
  { name: "unicode alias", params: { index: 9, alias: "naïve ✓" } },
];

Deno.test("link encode → decode round trip keeps every field, unset stays unset", () => {
  const defaults = { family: 0, ifType: 0, index: 0, flags: 0, change: 0 };
  for (const c of ROUND_TRIPS) {
    const bytes = nl.encodeLink(RTM_NEWLINK, NLM_F_REQUEST, 1, JSON.stringify(c.params));
    assert.equal(nl.encodeError(), "", c.name);
    const [link] = links(bytes);
    assert.deepEqual(link, { ...defaults, ...c.params }, c.name);
  }
});

Deno.test("link encode: a name too long for nla_len is an error value", () => {
  const bytes = nl.encodeLink(RTM_NEWLINK, NLM_F_REQUEST, 1, JSON.stringify({ name: "x".repeat(70_000) }));
  assert.equal(bytes.length, 0);
  assert.match(nl.encodeError(), /^cannot encode link: attribute 3 is too long: 70005 bytes/);
});

Deno.test("link decode: a known attribute with the wrong length fails the message with the reason", () => {
  // ifinfomsg, then IFLA_MTU carrying 2 bytes.
  const payload = new Uint8Array([...new Uint8Array(16), 6, 0, 4, 0, 0xdc, 0x05, 0, 0]);
  const msg = new Uint8Array(16 + payload.length);
  new DataView(msg.buffer).setUint32(0, msg.length, true);
  new DataView(msg.buffer).setUint16(4, RTM_NEWLINK, true);
  msg.set(payload, 16);
  const [m] = JSON.parse(nl.describe(msg)).messages;
  assert.equal(m.decodeError, "link message: attribute 4 is not a u32; length 2");
  const short = msg.slice(0, 16 + 10);
  new DataView(short.buffer).setUint32(0, short.length, true);
  assert.match(
    JSON.parse(nl.describe(short)).messages[0].decodeError,
    /^link message: ifinfomsg: need 4 bytes/,
  );
});
