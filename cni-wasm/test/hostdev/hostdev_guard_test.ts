// The guard against taking a NIC the node needs, on the real kernel (a veth stands in for the NIC, as in
// hostdev_netns_test.ts): hostdev ADD refuses (101, nothing changed) a NIC whose loss would break the node —
// one carrying a default route in ANY table (policy routing), the lower link of macvlans/macvtaps on the node
// or of a macvtap already moved into a pod, a next hop of a multipath route, or one whose addresses and
// routes do not fit the 255-byte record DEL restores them from; and DEL (and ADD's rollback) gives the NIC
// back its addresses and routes, also when the pod netns is already gone.
import assert from "node:assert/strict";
import { ip, TestNetns } from "../../../testing/netns.ts";
import { type HostdevNode, withHostdevNode } from "../../../testing/hostdev_node.ts";
import { rootTest } from "../../../testing/root_gate.ts";
import { expectOk } from "../../../testing/expect.ts";

const CONFIG = {
  cniVersion: "1.0.0",
  name: "nics",
  type: "macvtap",
  deviceType: "hostdev",
  deviceID: "nic0",
};

/** Two tests run Debian's static IPAM plugin. */
const NEEDS = { programs: ["/usr/lib/cni/static"] };

/** The NIC's addresses (no link-local) and routes in every table, as the kernel lists them. */
async function ipState(netns: TestNetns, dev = "nic0") {
  const [link] = JSON.parse(await netns.ip("-j", "addr", "show", "dev", dev));
  const addresses = (link?.addr_info ?? [])
    .filter((a: { scope: string }) => a.scope !== "link")
    .map((a: Record<string, unknown>) => ({ ...a, valid_life_time: 0, preferred_life_time: 0 }));
  const routes = JSON.parse(await netns.ip("-j", "-4", "route", "show", "table", "all", "dev", dev))
    .concat(JSON.parse(await netns.ip("-j", "-6", "route", "show", "table", "all", "dev", dev)))
    .filter((r: { type?: string; dst: string }) => !r.type && !r.dst.startsWith("fe80"));
  return { addresses, routes };
}

/** The configuration a secondary NIC of a node might carry: every kind of address and route kept. */
async function configureNic(t: HostdevNode): Promise<void> {
  await t.node.ip("addr", "add", "10.20.0.2/24", "brd", "+", "dev", "nic0");
  await t.node.ip("addr", "add", "10.21.0.2/24", "dev", "nic0", "noprefixroute");
  await t.node.ip("addr", "add", "fd00:20::2/64", "dev", "nic0", "nodad");
  await t.node.ip("route", "add", "10.30.0.0/16", "via", "10.20.0.1");
  await t.node.ip("route", "add", "10.40.0.0/16", "via", "10.20.0.1", "metric", "50", "table", "100");
  await t.node.ip(
    "route",
    "add",
    "10.50.0.0/16",
    "dev",
    "nic0",
    "src",
    "10.20.0.2",
    "mtu",
    "1400",
    "proto",
    "static",
  );
  await t.node.ip("-6", "route", "add", "fd00:99::/48", "via", "fd00:20::1");
}

/** ADD must fail with 101 naming `why`, with nothing on the node or in the pod changed. */
async function expectRefused(t: HostdevNode, why: RegExp): Promise<void> {
  const before = JSON.stringify([await t.node.links(), await ipState(t.node)]);
  const run = await t.cni("ADD", CONFIG);
  assert.equal((run.json as { code: number }).code, 101, run.stdout);
  assert.match((run.json as { msg: string }).msg, why);
  assert.equal(JSON.stringify([await t.node.links(), await ipState(t.node)]), before, "nothing changed");
  assert.deepEqual((await t.pod.links()).map((l) => l.ifname), ["lo"]);
}

rootTest(
  "hostdev refuses a NIC carrying a default route of another table (policy routing)",
  () =>
    withHostdevNode("guard", async (t) => {
      await t.node.ip("addr", "add", "10.20.0.2/24", "dev", "nic0");
      await t.node.ip("route", "add", "default", "via", "10.20.0.1", "table", "100");
      await expectRefused(t, /"nic0".*it carries a default route of the node/);
    }, ["nic0"]),
  NEEDS,
);

rootTest(
  "hostdev refuses a NIC carrying an IPv6 default route of another table",
  () =>
    withHostdevNode("guard", async (t) => {
      await t.node.ip("addr", "add", "fd00:20::2/64", "dev", "nic0", "nodad");
      await t.node.ip("-6", "route", "add", "default", "via", "fd00:20::1", "dev", "nic0", "table", "200");
      await expectRefused(t, /"nic0".*it carries a default route of the node/);
    }, ["nic0"]),
  NEEDS,
);

rootTest(
  "hostdev refuses the lower link of a macvlan and of a macvtap on the node",
  () =>
    withHostdevNode("guard", async (t) => {
      await t.node.ip("link", "add", "link", "nic0", "name", "mvl0", "type", "macvlan");
      await expectRefused(t, /"nic0".*links are stacked on it: "mvl0" \(macvlan\)/);
      await t.node.ip("link", "del", "mvl0");
      await t.node.addMacvtap("mvt0", "nic0");
      await expectRefused(t, /"nic0".*links are stacked on it: "mvt0" \(macvtap\)/);
    }, ["nic0"]),
  NEEDS,
);

rootTest(
  "hostdev refuses the lower link of a macvtap already moved into another pod",
  () =>
    withHostdevNode("guard", async (t) => {
      await using other = await TestNetns.create("hd-guard-other");
      await t.node.addMacvtap("mvt1", "nic0");
      await t.node.ip("link", "set", "mvt1", "netns", other.name, "name", "net1");
      await expectRefused(t, /"nic0".*links are stacked on it: "net1" \(macvtap\) in netns id \d+/);
    }, ["nic0"]),
  NEEDS,
);

rootTest("hostdev refuses a next hop of a multipath route", () =>
  withHostdevNode("guard", async (t) => {
    await t.addNic("nic9");
    await t.wire.ip("link", "set", "nic9p", "up");
    await t.node.ip("addr", "add", "10.20.0.2/24", "dev", "nic0");
    await t.node.ip("addr", "add", "10.29.0.2/24", "dev", "nic9");
    const hops = ["nexthop", "via", "10.20.0.1", "dev", "nic0", "nexthop", "via", "10.29.0.1", "dev", "nic9"];
    await t.node.ip("route", "add", "10.60.0.0/16", ...hops);
    await expectRefused(t, /"nic0".*it is a next hop of a multipath route/);
  }, ["nic0"]), NEEDS);

rootTest(
  "hostdev refuses a NIC whose addresses and routes do not fit the record DEL needs",
  () =>
    withHostdevNode("guard", async (t) => {
      for (let i = 1; i <= 12; i++) {
        await t.node.ip("addr", "add", `fd00:20:0:${i}::2/64`, "dev", "nic0", "nodad");
      }
      await expectRefused(t, /"nic0".*its 12 addresses and \d+ routes do not fit the 254 bytes of the alias/);
    }, ["nic0"]),
  NEEDS,
);

rootTest(
  "hostdev DEL gives the NIC back its addresses and routes, in every table",
  () =>
    withHostdevNode("guard", async (t) => {
      await configureNic(t);
      const before = await ipState(t.node);
      expectOk(await t.cni("ADD", CONFIG));
      assert.equal(await t.node.link("nic0"), null, "nic0 left the node, and the kernel dropped its routes");
      expectOk(await t.cni("DEL", CONFIG));
      assert.deepEqual(await ipState(t.node), before);
      expectOk(await t.cni("DEL", CONFIG));
      assert.deepEqual(await ipState(t.node), before, "a second DEL changes nothing");
    }, ["nic0"]),
  NEEDS,
);

rootTest(
  "hostdev ADD's rollback gives the NIC back its addresses and routes",
  () =>
    withHostdevNode("guard", async (t) => {
      await configureNic(t);
      const before = await ipState(t.node);
      const failing = {
        ...CONFIG,
        ipam: {
          type: "static",
          addresses: [{ address: "10.70.0.5/24" }],
          routes: [{ dst: "10.99.0.0/16", gw: "10.200.0.1" }],
        },
      };
      const run = await t.cni("ADD", failing);
      assert.equal((run.json as { code: number }).code, 103, run.stdout);
      assert.deepEqual(await ipState(t.node), before);
    }, ["nic0"]),
  NEEDS,
);

rootTest(
  "hostdev DEL after the pod netns is gone restores a returned NIC's addresses and routes",
  () =>
    withHostdevNode("guard", async (t) => {
      // What the kernel does with a physical NIC whose pod netns dies (a veth dies instead): back in the node
      // netns, down, renamed dev<ifindex>, its record intact. Staged by hand, then DEL restores it.
      await t.node.addVeth("dev77", "dev77p", t.wire);
      await t.node.ip("link", "set", "dev77", "down");
      const record = "macvtap-cni hostdev id=nic5 name=nic5 mtu=1500 mac=02000000aa01 up=1 " +
        "ip=10.20.0.2/24b,fd00:20::2/64 rt=10.40.0.0/16@10.20.0.1#50^100,fd00:99::/48@fd00:20::1 alias=uplink";
      await t.node.ip("link", "set", "dev77", "alias", record);
      const podPath = t.pod.path;
      await ip("netns", "del", t.pod.name);
      expectOk(await t.cni("DEL", { ...CONFIG, deviceID: "nic5" }, { netns: podPath }));
      const { addresses, routes } = await ipState(t.node, "nic5");
      assert.deepEqual(
        addresses.map((
          a: { local: string; prefixlen: number; broadcast?: string },
        ) => [a.local, a.prefixlen, a.broadcast]),
        [
          ["10.20.0.2", 24, "10.20.0.255"],
          ["fd00:20::2", 64, undefined],
        ],
      );
      const configured = routes.filter((r: { protocol?: string }) => r.protocol !== "kernel");
      assert.deepEqual(
        configured.map((r: { dst: string; gateway: string; table?: string }) => [r.dst, r.gateway, r.table]),
        [
          ["10.40.0.0/16", "10.20.0.1", "100"],
          ["fd00:99::/48", "fd00:20::1", undefined],
        ],
      );
      const [nic5] = JSON.parse(await t.node.ip("-j", "link", "show", "nic5"));
      assert.equal(nic5.ifalias, "uplink");
    }, ["nic0"]),
  NEEDS,
);
