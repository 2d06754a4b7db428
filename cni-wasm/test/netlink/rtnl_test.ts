import assert from "node:assert/strict";
import { ackFor, FakeKernel, headerOf, loadNetlink, NetlinkModule, restamp } from "./_netlink_module.ts";
import { bytesToHex, fixtureSection, loadFixture, withSeq } from "./_fixtures.ts";

const NLM_F_REQUEST = 0x1;
const NLM_F_ACK = 0x4;
const NLM_F_DUMP = 0x300;
const AF_UNSPEC = 0;
const AF_INET = 2;
const AF_INET6 = 10;
const IFF_UP = 0x1;
const IFF_PROMISC = 0x100;

// deno-lint-ignore no-explicit-any
type Json = Record<string, any>;

/** A test module whose fake kernel answers every request with `answer`. */
async function withKernel(answer: (request: Uint8Array, k: FakeKernel) => Array<Uint8Array | number>) {
  const { nl, kernel } = await loadNetlink();
  kernel.responder = answer;
  nl.connOpen(-1, 0);
  return { nl, kernel };
}

/** All reply datagrams of a recorded dump (sections with `prefix`), restamped for `request`. */
function recorded(fixture: string, prefix: string, request: Uint8Array, port: number): Uint8Array[] {
  return [...loadFixture(fixture)].filter(([name]) => name.startsWith(prefix))
    .map(([, datagram]) => restamp(datagram, headerOf(request).seq, port));
}

function sentMessage(nl: NetlinkModule, request: Uint8Array): Json {
  return JSON.parse(nl.describe(request)).messages[0];
}

Deno.test("getLinkByName: one RTM_GETLINK with the name and RTEXT_FILTER_SKIP_STATS; the reply decoded", async () => {
  const { nl, kernel } = await withKernel((request, k) => [
    ...recorded("errors", "getlink-reply-1", request, k.port),
    ackFor(request, k.port),
  ]);
  const result = JSON.parse(nl.rtnlGetLinkByName("vlo0"));
  assert.equal(result.error, null);
  assert.equal(result.link.name, "vlo0");
  assert.deepEqual(result.link.linkInfo, { kind: "veth" });
  const sent = sentMessage(nl, kernel.request(0));
  assert.equal(sent.type, "RTM_GETLINK");
  assert.equal(sent.flags, NLM_F_REQUEST | NLM_F_ACK);
  assert.deepEqual(sent.link, {
    family: 0,
    ifType: 0,
    index: 0,
    flags: 0,
    change: 0,
    name: "vlo0",
    extMask: 8,
  });
});

Deno.test("getLinkByName / getLinkByIndex: ENODEV is 'no such link', other errnos are errors", async () => {
  const missing = await withKernel((request, k) => [ackFor(request, k.port, 19)]);
  assert.deepEqual(JSON.parse(missing.nl.rtnlGetLinkByName("nosuch0")), { error: null, link: null });
  assert.deepEqual(JSON.parse(missing.nl.rtnlGetLinkByIndex(77)), { error: null, link: null });
  assert.equal(sentMessage(missing.nl, missing.kernel.request(1)).link.index, 77);
  const refused = await withKernel((request, k) => [ackFor(request, k.port, 1)]);
  const result = JSON.parse(refused.nl.rtnlGetLinkByName("eth0"));
  assert.equal(result.link, null);
  assert.equal(result.text, 'RTM_GETLINK "eth0": EPERM (1): Operation not permitted');
});

Deno.test("getLinkByName: an ACK without a link, or a link that does not decode, is EBADMSG", async () => {
  const empty = await withKernel((request, k) => [ackFor(request, k.port)]);
  assert.match(JSON.parse(empty.nl.rtnlGetLinkByName("x")).text, /EBADMSG.*acknowledged but sent no link/);
  const broken = await withKernel((request, k) => {
    const [reply] = recorded("errors", "getlink-reply-1", request, k.port);
    assert.ok(reply, "the recorded reply");
    reply[16 + 16 + 2] = 4; // IFLA_IFNAME becomes IFLA_MTU with a 5-byte payload
    return [reply, ackFor(request, k.port)];
  });
  assert.match(
    JSON.parse(broken.nl.rtnlGetLinkByName("x")).text,
    /EBADMSG.*attribute 4 is not a u32; length 5/,
  );
});

Deno.test("listLinks: one dump, every link decoded; retried when the kernel flags it interrupted", async () => {
  let dumps = 0;
  const { nl, kernel } = await withKernel((request, k) => {
    const answer = recorded("link_dump", "reply", request, k.port);
    if (++dumps === 1) answer[0]![6]! |= 0x10; // NLM_F_DUMP_INTR on the first message of the first attempt
    return answer;
  });
  const result = JSON.parse(nl.rtnlListLinks());
  assert.equal(result.error, null);
  assert.deepEqual(result.links.map((l: Json) => l.name), [
    "lo",
    "vlo1",
    "vlo0",
    "br0",
    "mvl0",
    "mvtb",
    "mvtv",
  ]);
  assert.equal(kernel.sent.length, 2);
  assert.equal(headerOf(kernel.request(0)).flags, NLM_F_REQUEST | NLM_F_DUMP);
  assert.equal(sentMessage(nl, kernel.request(0)).link.extMask, 8);
});

Deno.test("createLink: a macvtap request byte-equal to `ip link add ... type macvtap mode bridge`", async () => {
  const golden = fixtureSection("iproute2_requests", "newlink-macvtap-bridge");
  const index = ifindexOf(golden);
  const { nl, kernel } = await withKernel((request, k) => [ackFor(request, k.port)]);
  assert.deepEqual(JSON.parse(nl.rtnlCreateMacvlan("macvtap", "mvt0", 3, "bridge", index)), { error: null });
  assert.equal(bytesToHex(kernel.request(0)), bytesToHex(withSeq(golden, 1)));
});

/** ifi_index of an encoded link message (nlmsghdr, then ifinfomsg with the index at offset 4). */
function ifindexOf(linkMessage: Uint8Array): number {
  return new DataView(linkMessage.buffer, linkMessage.byteOffset).getInt32(16 + 4, true);
}

Deno.test("createLink: EEXIST with the kernel's words comes back as a value", async () => {
  const { nl } = await withKernel((request, k) => [ackFor(request, k.port, 17, { message: "link exists" })]);
  const result = JSON.parse(nl.rtnlCreateMacvlan("macvtap", "mvt0", 3, "bridge", 0));
  assert.equal(result.text, 'RTM_NEWLINK create: EEXIST (17): File exists, message: "link exists"');
});

Deno.test("setLink: netns, name, MAC, MTU, up and promisc travel in ONE RTM_NEWLINK", async () => {
  const { nl, kernel } = await withKernel((request, k) => [ackFor(request, k.port)]);
  const change = {
    index: 1234567,
    netnsFd: 5,
    name: "net1",
    address: "02:42:ac:11:00:07",
    mtu: 1400,
    up: true,
    promisc: true,
  };
  assert.deepEqual(JSON.parse(nl.rtnlSetLink(JSON.stringify(change))), { error: null });
  assert.equal(kernel.sent.length, 1);
  const sent = sentMessage(nl, kernel.request(0));
  assert.equal(sent.type, "RTM_NEWLINK");
  assert.equal(sent.flags, NLM_F_REQUEST | NLM_F_ACK, "no CREATE: it changes an existing link");
  assert.deepEqual(sent.link, {
    family: 0,
    ifType: 0,
    index: 1234567,
    flags: IFF_UP | IFF_PROMISC,
    change: IFF_UP | IFF_PROMISC,
    name: "net1",
    address: "02:42:ac:11:00:07",
    mtu: 1400,
    netnsFd: 5,
  });
  const noIndex = JSON.parse(nl.rtnlSetLink(JSON.stringify({ mtu: 1400 })));
  assert.match(noIndex.text, /setLink needs the link's ifindex/);
  assert.equal(kernel.sent.length, 1, "nothing sent without an ifindex");
});

Deno.test("deleteLink: byte-equal to `ip link del`; ENODEV is reported for the caller to judge", async () => {
  const golden = fixtureSection("iproute2_requests", "dellink");
  const index = ifindexOf(golden);
  const { nl, kernel } = await withKernel((request, k) => [ackFor(request, k.port, 19)]);
  const result = JSON.parse(nl.rtnlDeleteLink(index));
  assert.equal(result.error.errno, 19);
  assert.equal(bytesToHex(kernel.request(0)), bytesToHex(withSeq(golden, 1)));
});

Deno.test("listAddresses: recorded dump, filtered by ifindex on our side", async () => {
  const { nl, kernel } = await withKernel((request, k) => recorded("addr_dump", "reply", request, k.port));
  const all = JSON.parse(nl.rtnlListAddresses(AF_UNSPEC, 0));
  assert.equal(all.error, null);
  assert.equal(all.addresses.length, 7);
  const vlo0 = all.addresses.find((a: Json) => a.label === "vlo0").index;
  const onVlo0 = JSON.parse(nl.rtnlListAddresses(AF_UNSPEC, vlo0));
  assert.deepEqual(onVlo0.addresses.map((a: Json) => a.address), [
    "10.1.2.3",
    "fd00:1::3",
    "fe80::ff:fe00:1",
  ]);
  assert.equal(sentMessage(nl, kernel.request(1)).type, "RTM_GETADDR");
});

Deno.test("addAddress / deleteAddress / addRoute: byte-equal to iproute2", async () => {
  const { nl, kernel } = await withKernel((request, k) => [ackFor(request, k.port)]);
  const index =
    JSON.parse(nl.describe(fixtureSection("iproute2_requests", "newaddr-ipv4"))).messages[0].address.index;
  const v4 = { family: AF_INET, prefixLen: 24, index, local: "10.1.3.4", address: "10.1.3.4" };
  assert.deepEqual(JSON.parse(nl.rtnlAddAddress(JSON.stringify({ ...v4, broadcast: "10.1.3.255" }))), {
    error: null,
  });
  assert.deepEqual(JSON.parse(nl.rtnlDeleteAddress(JSON.stringify(v4))), { error: null });
  const route = { family: AF_INET6, dstLen: 48, dst: "fd00:8::", gateway: "fd00:3::1", oif: index };
  assert.deepEqual(JSON.parse(nl.rtnlAddRoute(JSON.stringify(route))), { error: null });
  const expected = ["newaddr-ipv4", "deladdr-ipv4", "newroute-ipv6"];
  expected.forEach((section, i) => {
    const golden = withSeq(fixtureSection("iproute2_requests", section), i + 1);
    assert.equal(bytesToHex(kernel.request(i)), bytesToHex(golden), section);
  });
});

Deno.test("listRoutes: recorded IPv4 dump", async () => {
  const { nl } = await withKernel((request, k) => recorded("route_dump", "ipv4-reply", request, k.port));
  const result = JSON.parse(nl.rtnlListRoutes(AF_INET));
  assert.equal(result.error, null);
  assert.ok(
    result.routes.some((r: Json) => r.dst === "10.9.0.0" && r.gateway === "10.1.2.1" && r.priority === 50),
  );
});
