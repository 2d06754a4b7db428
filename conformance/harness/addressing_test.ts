import assert from "node:assert/strict";
import {
  findRoute,
  type KernelRoute,
  parseCidr,
  resultAddresses,
  resultRoutes,
  sameNetwork,
} from "./addressing.ts";

const cidr = (text: string) => {
  const parsed = parseCidr(text);
  assert.ok(parsed, text);
  return parsed;
};

Deno.test("addressing: CIDR parsing and network equality ignore host bits", () => {
  assert.ok(sameNetwork(cidr("192.168.10.7/24"), cidr("192.168.10.0/24")));
  assert.ok(!sameNetwork(cidr("192.168.11.0/24"), cidr("192.168.10.0/24")));
  assert.ok(!sameNetwork(cidr("10.0.0.0/8"), cidr("10.0.0.0/16")));
  assert.ok(sameNetwork(cidr("fd00:0:0:1::5/64"), cidr("fd00::1:0:0:0:0/64")));
  assert.ok(sameNetwork(cidr("::ffff:10.0.0.1/128"), cidr("::ffff:a00:1/128")));
  assert.equal(cidr("10.0.0.5").prefix, 32);
  assert.equal(cidr("fe80::1").prefix, 128);
  for (const bad of ["10.0.0.0/33", "fd00::/129", "10.0.0.0/x", "default"]) {
    assert.equal(parseCidr(bad), null, bad);
  }
});

Deno.test("addressing: a result's addresses for the pod interface, in both result formats", () => {
  const current = {
    interfaces: [{ name: "br0" }, { name: "net1", sandbox: "/run/netns/p" }],
    ips: [{ address: "10.0.0.1/24", interface: 0 }, { address: "10.0.0.2/24", interface: 1 }, {
      address: "10.0.0.3/24",
    }],
  };
  assert.deepEqual(resultAddresses(current, "1.0.0", "net1", "/run/netns/p").map((c) => c.text), [
    "10.0.0.2/24",
  ]);
  const legacy = { ip4: { ip: "10.0.0.2/24", routes: [{ dst: "0.0.0.0/0", gw: "10.0.0.1" }] } };
  assert.deepEqual(resultAddresses(legacy, "0.2.0", "net1", "/run/netns/p").map((c) => c.text), [
    "10.0.0.2/24",
  ]);
  assert.deepEqual(resultRoutes(legacy, "0.2.0").map((r) => [r.dst.text, r.gw]), [["0.0.0.0/0", "10.0.0.1"]]);
});

Deno.test("addressing: result routes are found among kernel routes by family, destination and next hop", () => {
  const kernel: KernelRoute[] = [
    { family: 6, dst: "default", gateway: "fd00::1", dev: "net1" },
    { family: 4, dst: "10.0.0.0/24", dev: "net1", type: "unicast" },
    { family: 4, dst: "10.0.0.2", dev: "net1", table: "local", type: "local" },
  ];
  const [v4default, subnet, host] = resultRoutes({
    routes: [{ dst: "0.0.0.0/0" }, { dst: "10.0.0.9/24" }, { dst: "10.0.0.2/32" }],
  }, "1.0.0");
  assert.equal(findRoute(kernel, v4default!), undefined, "the IPv6 default route is not the IPv4 one");
  assert.equal(findRoute(kernel, subnet!)?.dst, "10.0.0.0/24");
  assert.equal(findRoute(kernel, host!), undefined, "a local route is not a unicast route");
  const [v6default] = resultRoutes({ routes: [{ dst: "::/0", gw: "fd00:0::1" }] }, "1.0.0");
  assert.equal(findRoute(kernel, v6default!)?.gateway, "fd00::1");
  const [wrongGw] = resultRoutes({ routes: [{ dst: "::/0", gw: "fd00::2" }] }, "1.0.0");
  assert.equal(findRoute(kernel, wrongGw!), undefined);
});
