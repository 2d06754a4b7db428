import assert from "node:assert/strict";
import { headerOf, loadNetlink } from "./_netlink_module.ts";
import { bytesToHex, fixtureSection, loadFixture } from "./_fixtures.ts";

const { nl } = await loadNetlink();

const RTM_NEWADDR = 20;
const RTM_DELADDR = 21;
const RTM_NEWROUTE = 24;
const NLM_F_REQUEST = 0x1;
const NLM_F_ACK = 0x4;
const NLM_F_EXCL = 0x200;
const NLM_F_CREATE = 0x400;
const CREATE = NLM_F_REQUEST | NLM_F_ACK | NLM_F_EXCL | NLM_F_CREATE;
const AF_INET = 2;
const AF_INET6 = 10;

// deno-lint-ignore no-explicit-any
type Json = Record<string, any>;

function bodies(fixture: string, key: "address" | "route", prefix: string): Json[] {
  const out: Json[] = [];
  for (const [section, bytes] of loadFixture(fixture)) {
    if (!section.startsWith(prefix)) continue;
    const described = JSON.parse(nl.describe(bytes));
    assert.equal(described.error, undefined, section);
    for (const m of described.messages) {
      assert.equal(m.decodeError, undefined, section);
      if (m[key]) out.push(m[key]);
    }
  }
  return out;
}

Deno.test("address decode: a recorded dump with IPv4 (label, broadcast) and IPv6 (nodad, link-local)", () => {
  const addresses = bodies("addr_dump", "address", "reply");
  const v4 = addresses.find((a) => a.address === "10.1.2.3")!;
  assert.deepEqual(v4, {
    family: AF_INET,
    prefixLen: 24,
    flags: 0x80, // IFA_F_PERMANENT
    scope: 0,
    index: v4.index,
    address: "10.1.2.3",
    local: "10.1.2.3",
    broadcast: "10.1.2.255",
    label: "vlo0",
  });
  const v6 = addresses.find((a) => a.address === "fd00:1::3")!;
  assert.equal(v6.family, AF_INET6);
  assert.equal(v6.prefixLen, 64);
  assert.equal(v6.flags, 0x80 | 0x02, "IFA_F_PERMANENT | IFA_F_NODAD, from IFA_FLAGS");
  assert.equal(v6.local, undefined, "the kernel sends IPv6 addresses as IFA_ADDRESS only");
  assert.ok(addresses.some((a) => a.address === "::1" && a.index === 1));
  assert.ok(addresses.some((a) => a.address === "127.0.0.1" && a.label === "lo"));
});

Deno.test("route decode: recorded IPv4 and IPv6 dumps (main and local tables, gateways, metrics)", () => {
  const v4 = bodies("route_dump", "route", "ipv4-reply");
  const viaGateway = v4.find((r) => r.dst === "10.9.0.0")!;
  assert.deepEqual(viaGateway, {
    family: AF_INET,
    dstLen: 16,
    srcLen: 0,
    tos: 0,
    table: 254,
    protocol: 3, // RTPROT_BOOT: what `ip route add` sets
    scope: 0,
    type: 1,
    flags: 0,
    dst: "10.9.0.0",
    gateway: "10.1.2.1",
    oif: viaGateway.oif,
    priority: 50,
  });
  const connected = v4.find((r) => r.dst === "10.1.2.0")!;
  assert.equal(connected.prefSrc, "10.1.2.3");
  assert.equal(connected.scope, 253); // RT_SCOPE_LINK
  assert.ok(v4.some((r) => r.table === 255 && r.type === 2), "local table routes (RTN_LOCAL)");
  const v6 = bodies("route_dump", "route", "ipv6-reply");
  const v6Gateway = v6.find((r) => r.dst === "fd00:9::")!;
  assert.equal(v6Gateway.gateway, "fd00:1::1");
  assert.equal(v6Gateway.dstLen, 48);
  assert.equal(v6Gateway.priority, 1024);
});

Deno.test("route decode: a recorded IPv6 multipath default route keeps each next hop's ifindex (RTA_MULTIPATH)", () => {
  const routes = bodies("route_default", "route", "reply");
  const defaults = routes.filter((r) => r.dstLen === 0 && r.table === 254);
  // route_default.hex: default via rt0 (ifindex 3); IPv6 default nexthop via rt1 (5) and rt2 (7).
  assert.deepEqual(defaults.map((r) => [r.family, r.oif, r.nexthopOifs]), [
    [AF_INET, 3, undefined],
    [AF_INET6, undefined, [5, 7]],
  ]);
  assert.ok(
    routes.some((r) => r.dstLen === 0 && r.table === 100 && r.oif === 9),
    "table 100's default via rt3",
  );
});

Deno.test("route decode: an RTA_MULTIPATH whose rtnh_len runs past the attribute fails the message", () => {
  const datagram = fixtureSection("route_default", "reply-1").slice();
  const v = new DataView(datagram.buffer);
  const described = JSON.parse(nl.describe(datagram));
  assert.ok(described.messages.every((m: Json) => m.decodeError === undefined));
  const multipath = findAttribute(datagram, 9);
  assert.ok(multipath > 0, "reply-1 holds the multipath route");
  v.setUint16(multipath + 4, 200, true); // the first rtnexthop claims 200 bytes
  const broken = JSON.parse(nl.describe(datagram)).messages.find((m: Json) => m.decodeError);
  assert.match(broken.decodeError, /RTA_MULTIPATH: rtnh_len 200 at offset 0 does not fit/);
});

/** Offset of the first attribute of `type` inside any RTM_NEWROUTE of a datagram, or -1. */
function findAttribute(datagram: Uint8Array, type: number): number {
  const v = new DataView(datagram.buffer, datagram.byteOffset);
  for (let at = 0; at + 16 <= datagram.length;) {
    const length = v.getUint32(at, true);
    for (let a = at + 16 + 12; a + 4 <= at + length;) {
      if (v.getUint16(a + 2, true) === type) return a;
      a += (v.getUint16(a, true) + 3) & ~3;
    }
    at += (length + 3) & ~3;
  }
  return -1;
}

function golden(section: string, key: "address" | "route"): Json {
  return JSON.parse(nl.describe(fixtureSection("iproute2_requests", section))).messages[0][key];
}

Deno.test("address encode: byte-equal to `ip addr add/del`", () => {
  const cases: Array<[string, number, number, Json]> = [
    ["newaddr-ipv4", RTM_NEWADDR, CREATE, {
      family: AF_INET,
      prefixLen: 24,
      index: golden("newaddr-ipv4", "address").index,
      local: "10.1.3.4",
      address: "10.1.3.4",
      broadcast: "10.1.3.255",
    }],
    ["newaddr-ipv6", RTM_NEWADDR, CREATE, {
      family: AF_INET6,
      prefixLen: 64,
      flags: 0x02, // IFA_F_NODAD fits ifa_flags: no IFA_FLAGS attribute, as iproute2 does
      index: golden("newaddr-ipv6", "address").index,
      local: "fd00:3::4",
      address: "fd00:3::4",
    }],
    ["deladdr-ipv4", RTM_DELADDR, NLM_F_REQUEST | NLM_F_ACK, {
      family: AF_INET,
      prefixLen: 24,
      index: golden("deladdr-ipv4", "address").index,
      local: "10.1.3.4",
      address: "10.1.3.4",
    }],
  ];
  for (const [section, type, flags, params] of cases) {
    const expected = fixtureSection("iproute2_requests", section);
    const bytes = nl.encodeAddress(type, flags, headerOf(expected).seq, JSON.stringify(params));
    assert.equal(nl.encodeError(), "", section);
    assert.equal(bytesToHex(bytes), bytesToHex(expected), section);
  }
});

Deno.test("route encode: byte-equal to `ip route add` (prefix, default, IPv6)", () => {
  const oif = golden("newroute-ipv4", "route").oif;
  const cases: Array<[string, Json]> = [
    ["newroute-ipv4", {
      family: AF_INET,
      dstLen: 16,
      dst: "10.8.0.0",
      gateway: "10.1.3.1",
      oif,
      priority: 100,
    }],
    ["newroute-default", { family: AF_INET, gateway: "10.1.3.1", oif }],
    ["newroute-ipv6", { family: AF_INET6, dstLen: 48, dst: "fd00:8::", gateway: "fd00:3::1", oif }],
  ];
  for (const [section, params] of cases) {
    const expected = fixtureSection("iproute2_requests", section);
    const bytes = nl.encodeRoute(RTM_NEWROUTE, CREATE, headerOf(expected).seq, JSON.stringify(params));
    assert.equal(nl.encodeError(), "", section);
    assert.equal(bytesToHex(bytes), bytesToHex(expected), section);
  }
});

Deno.test("route encode: spec 1.1.0 route fields byte-equal to `ip route add … metric table scope mtu advmss`", () => {
  const oif = golden("newroute-metrics", "route").oif;
  const cases: Array<[string, Json]> = [
    // metric → RTA_PRIORITY, table < 256 → rtm_table, mtu/advmss → RTA_METRICS { RTAX_MTU, RTAX_ADVMSS }.
    ["newroute-metrics", {
      family: AF_INET,
      dstLen: 16,
      dst: "10.9.0.0",
      gateway: "10.1.3.1",
      oif,
      priority: 100,
      table: 100,
      mtu: 1400,
      advmss: 1360,
    }],
    // table > 255 → RTA_TABLE (rtm_table RT_TABLE_UNSPEC), before RTA_OIF; scope link (253) in rtm_scope.
    ["newroute-scope-table", { family: AF_INET, dstLen: 24, dst: "10.10.0.0", oif, table: 1000, scope: 253 }],
    ["newroute-ipv6-mtu", {
      family: AF_INET6,
      dstLen: 48,
      dst: "fd00:9::",
      gateway: "fd00:3::1",
      oif,
      priority: 50,
      mtu: 1280,
    }],
  ];
  for (const [section, params] of cases) {
    const expected = fixtureSection("iproute2_requests", section);
    const bytes = nl.encodeRoute(RTM_NEWROUTE, CREATE, headerOf(expected).seq, JSON.stringify(params));
    assert.equal(nl.encodeError(), "", section);
    assert.equal(bytesToHex(bytes), bytesToHex(expected), section);
    const decoded = JSON.parse(nl.describe(expected)).messages[0].route;
    for (const key of ["priority", "table", "scope", "mtu", "advmss"]) {
      assert.equal(
        decoded[key],
        (params as Record<string, unknown>)[key] ?? decoded[key],
        `${section} ${key}`,
      );
    }
  }
});

Deno.test("address and route encode → decode round trips", () => {
  const addresses: Json[] = [
    {
      family: AF_INET,
      prefixLen: 32,
      flags: 0,
      scope: 0,
      index: 5,
      local: "192.0.2.1",
      address: "192.0.2.1",
    },
    { family: AF_INET, prefixLen: 24, flags: 0, scope: 0, index: 5, address: "192.0.2.9", label: "eth0:1" },
    // A flag above 0xff travels in IFA_FLAGS (IFA_F_NOPREFIXROUTE = 0x200).
    { family: AF_INET6, prefixLen: 64, flags: 0x202, scope: 0, index: 5, address: "2001:db8::1" },
  ];
  for (const a of addresses) {
    const bytes = nl.encodeAddress(RTM_NEWADDR, CREATE, 1, JSON.stringify(a));
    assert.deepEqual(JSON.parse(nl.describe(bytes)).messages[0].address, a);
  }
  const base = { srcLen: 0, tos: 0, protocol: 3, scope: 0, type: 1, flags: 0 };
  const routes: Json[] = [
    { ...base, family: AF_INET, dstLen: 0, table: 254, gateway: "192.0.2.254", oif: 5 },
    { ...base, family: AF_INET, dstLen: 24, table: 1000, dst: "198.51.100.0", oif: 5, priority: 0 },
    { ...base, family: AF_INET6, dstLen: 0, table: 254, gateway: "fe80::1", oif: 5, prefSrc: "2001:db8::5" },
    { ...base, family: AF_INET, dstLen: 8, table: 254, dst: "10.0.0.0", oif: 5, mtu: 9000, advmss: 8960 },
    { ...base, family: AF_INET6, dstLen: 0, table: 254, gateway: "fe80::1", oif: 5, advmss: 1220 },
  ];
  for (const r of routes) {
    const bytes = nl.encodeRoute(RTM_NEWROUTE, CREATE, 1, JSON.stringify(r));
    assert.deepEqual(JSON.parse(nl.describe(bytes)).messages[0].route, r);
  }
});
