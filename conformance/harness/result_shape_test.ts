import assert from "node:assert/strict";
import { ipFamily, resultShapeProblems } from "./result_shape.ts";

const IFACE = { name: "net1", mac: "02:00:00:00:00:01", sandbox: "/run/netns/x" };

Deno.test("result shape: a 1.0.0 result of macvlan + host-local conforms", () => {
  const result = {
    cniVersion: "1.0.0",
    interfaces: [IFACE],
    ips: [{ address: "10.0.0.2/24", gateway: "10.0.0.1", interface: 0 }],
    routes: [{ dst: "0.0.0.0/0" }, { dst: "fd00::/64", gw: "fd00::1" }],
    dns: { nameservers: ["10.0.0.1"], search: ["example"] },
  };
  assert.deepEqual(resultShapeProblems(result, "1.0.0"), []);
});

Deno.test("result shape: ips[].version is required in 0.3.x/0.4.0, must match, and is gone in 1.0.0", () => {
  const ips = (version?: string) => [{ address: "10.0.0.2/24", interface: 0, version }];
  assert.deepEqual(
    resultShapeProblems({ cniVersion: "0.4.0", interfaces: [IFACE], ips: ips("4") }, "0.4.0"),
    [],
  );
  assert.match(
    resultShapeProblems({ cniVersion: "0.3.1", ips: ips() }, "0.3.1").join(),
    /version is undefined/,
  );
  assert.match(
    resultShapeProblems({ cniVersion: "0.4.0", ips: ips("6") }, "0.4.0").join(),
    /address is IPv4/,
  );
  assert.match(resultShapeProblems({ cniVersion: "1.0.0", ips: ips("4") }, "1.0.0").join(), /does not exist/);
});

Deno.test("result shape: wrong types, addresses without prefix and dangling interface indexes are named", () => {
  const problems = resultShapeProblems({
    cniVersion: "1.0.0",
    interfaces: "net1",
    ips: [{ address: "10.0.0.2", interface: 3 }, { address: "10.0.0.3/33" }],
    routes: [{ dst: "default" }],
    dns: { nameservers: "10.0.0.1" },
  }, "1.0.0");
  assert.deepEqual(problems, [
    'interfaces is the string "net1", not a list',
    'ips[0].address "10.0.0.2" is not an address in CIDR notation',
    "ips[0].interface 3 is not an index into interfaces (0)",
    'ips[1].address "10.0.0.3/33" is not an address in CIDR notation',
    'routes[0].dst "default" is not an address in CIDR notation',
    "dns.nameservers is not a list of strings",
  ]);
});

Deno.test("result shape: 0.2.0 results have ip4/ip6 and no interfaces", () => {
  const legacy = {
    cniVersion: "0.2.0",
    ip4: { ip: "10.0.0.2/24", gateway: "10.0.0.1", routes: [{ dst: "0.0.0.0/0" }] },
  };
  assert.deepEqual(resultShapeProblems(legacy, "0.2.0"), []);
  assert.deepEqual(resultShapeProblems({ cniVersion: "0.1.0" }, "0.1.0"), []);
  assert.deepEqual(
    resultShapeProblems({ cniVersion: "0.2.0", interfaces: [IFACE], ip6: { ip: "10.0.0.2/24" } }, "0.2.0"),
    [
      '"interfaces" does not exist in a 0.2.0 result (ip4/ip6 do)',
      "ip6.ip 10.0.0.2/24 is not IPv6",
    ],
  );
  assert.match(
    resultShapeProblems({ cniVersion: "1.0.0", ip4: { ip: "10.0.0.2/24" } }, "1.0.0").join(),
    /belongs to 0\.1\.0/,
  );
});

Deno.test("result shape: 1.1.0 route attributes are integers; not an object is one problem", () => {
  const route = { dst: "10.1.0.0/16", gw: "10.0.0.1", mtu: 1400, table: "main" };
  assert.deepEqual(resultShapeProblems({ cniVersion: "1.1.0", routes: [route] }, "1.1.0"), [
    'routes[0].table is the string "main", not an integer',
  ]);
  assert.deepEqual(resultShapeProblems([], "1.0.0"), ["the result is a list, not a JSON object"]);
  assert.match(resultShapeProblems({ cniVersion: "0.4.0" }, "1.0.0").join(), /cniVersion is "0.4.0"/);
});

Deno.test("result shape: IP literals", () => {
  for (const ok of ["10.0.0.1", "0.0.0.0", "::", "fe80::1", "::ffff:10.0.0.1", "2001:db8:0:0:0:0:0:1"]) {
    assert.ok(ipFamily(ok), ok);
  }
  for (const bad of ["10.0.0.256", "10.0.0", "010.0.0.1", "fe80:::1", "default", "", "1:2:3:4:5:6:7:8:9"]) {
    assert.equal(ipFamily(bad), null, bad);
  }
});
