// The hostdev CNI's node-side decisions on recorded netlink bytes: which links carry a default route
// (route_default.hex: IPv4 single, IPv6 multipath, another table: policy routing counts too), where a NIC's PCI address and driver
// come from (link_eth0.hex = this VM's real virtio NIC, with its real sysfs symlink targets), the origin
// record kept in a NIC's alias, and finding / refusing a NIC by deviceID on a fake kernel.
//
// The kernel here has no spare virtio NIC to hand out, so more NICs are DERIVED from the recorded eth0:
// deriveLink() decodes its RTM_NEWLINK and re-encodes it with another name, ifindex and parent device
// (virtio3 under 0000:00:0a.0 via a fake sysfs entry, or a NIC straight on bus "pci").
import assert from "node:assert/strict";
import { concat, doneFor, headerOf, restamp } from "../netlink/_netlink_module.ts";
import { fixtureSection, loadFixture } from "../netlink/_fixtures.ts";
import { loadHostdev, VIRTIO2_SYSFS } from "./_hostdev_module.ts";

const RTM_GETLINK = 18;
const RTM_GETROUTE = 26;
const RTM_GETNSID = 90;
const DEFAULT_ROUTE_OIFS = [3, 5, 7, 9]; // route_default.hex: "ifindexes rt0=3 rt1=5 rt2=7 rt3=9"

const eth0 = fixtureSection("link_eth0", "reply-1");
const routeReplies = [...loadFixture("route_default")].filter(([name]) => name.startsWith("reply")).map((
  [, d],
) => d);

Deno.test("default routes (recorded): main-table IPv4 oif, IPv6 multipath next hops, and table 100's", async () => {
  const { hd } = await loadHostdev();
  assert.deepEqual(JSON.parse(hd.defaultRoutes(concat(...routeReplies))).sort(), DEFAULT_ROUTE_OIFS);
});

Deno.test("isPciAddress(): sysfs's dddd:bb:dd.f, domain 4-8 hex digits", async () => {
  const { hd } = await loadHostdev();
  for (const yes of ["0000:00:0a.0", "0000:3B:00.1", "10000:e1:00.7"]) assert.ok(hd.pciAddress(yes), yes);
  for (const no of ["00:0a.0", "0000:00:0a.8", "0000:00:0a", "0000-00:0a.0", "eth0", "0000:00:0g.0", ""]) {
    assert.ok(!hd.pciAddress(no), no);
  }
});

Deno.test("PCI address and driver of the recorded virtio eth0 come from its sysfs links (virtio2 → 0000:00:03.0)", async () => {
  const { hd, reads } = await loadHostdev();
  assert.deepEqual(JSON.parse(hd.nicDevice(eth0)), { pciAddress: "0000:00:03.0", driver: "virtio_net" });
  assert.deepEqual(reads, ["virtio/virtio2", "virtio/virtio2/driver"]);
});

Deno.test("a NIC on bus pci is its own PCI address (no sysfs read); a link without a parent has none", async () => {
  const { hd, reads } = await loadHostdev({ "pci/0000:00:0a.0/driver": "../../../bus/pci/drivers/ixgbe" });
  const onPci = hd.deriveLink(eth0, "ens10", 10, "pci", "0000:00:0A.0");
  assert.deepEqual(JSON.parse(hd.nicDevice(onPci)), { pciAddress: "0000:00:0a.0", driver: null });
  assert.deepEqual(reads, ["pci/0000:00:0A.0/driver"], "driver lookup uses the name netlink gave");
  const virtual = hd.deriveLink(eth0, "veth0", 11, "", "");
  assert.deepEqual(JSON.parse(hd.nicDevice(virtual)), { pciAddress: null, driver: null });
});

Deno.test("origin record: eth0's node state round-trips through its alias text", async () => {
  const { hd } = await loadHostdev();
  const alias = hd.originOf(eth0, "0000:00:03.0");
  assert.equal(alias, "macvtap-cni hostdev id=0000:00:03.0 name=eth0 mtu=1400 mac=02fc00000001 up=1 alias=");
  assert.deepEqual(JSON.parse(hd.originDecode(alias)), {
    deviceID: "0000:00:03.0",
    name: "eth0",
    mtu: 1400,
    mac: "02fc00000001",
    up: true,
    alias: "",
  });
});

Deno.test("origin record: an old alias (spaces and all) is kept, cut to fit IFALIASZ; damaged records are not ours", async () => {
  const { hd } = await loadHostdev();
  const kept = JSON.parse(
    hd.originDecode(hd.originText("ens4", "ens4", 9000, false, "uplink: rack 3 port 7")),
  );
  assert.equal(kept.alias, "uplink: rack 3 port 7");
  assert.equal(kept.up, false);
  const long = hd.originText("0000:00:0a.0", "ens10", 1500, true, "x".repeat(300));
  assert.equal(
    new TextEncoder().encode(long).length,
    254,
    "IFALIASZ 256 less the NUL and dev_set_alias's own byte",
  );
  assert.ok(JSON.parse(hd.originDecode(long)).alias.startsWith("xxx"));
  const good = hd.originText("ens4", "ens4", 1500, true, "");
  for (
    const bad of [
      "",
      "uplink to rack 3",
      good.replace("mtu=1500", "mtu=15x0"),
      good.replace("mac=020000000007", "mac=0200000007z"),
      good.replace("up=1", "up=yes"),
      good.replace("name=ens4", "name=a/b"),
      good.replace(" alias=", " old="),
      good.replace("id=ens4 ", "id= "),
    ]
  ) {
    assert.equal(hd.originDecode(bad), "null", bad);
  }
});

/** A fake node: eth0 (recorded) + derived ens10 (virtio3 under 0000:00:0a.0), default route via `defaultVia`. */
async function fakeNode(defaultVia: number) {
  const node = await loadHostdev({
    ...VIRTIO2_SYSFS,
    "virtio/virtio3": "../../../devices/pci0000:00/0000:00:0a.0/virtio3",
  });
  const eth0Index = new DataView(eth0.buffer, eth0.byteOffset).getInt32(16 + 4, true);
  const ens10 = node.hd.deriveLink(eth0, "ens10", 10, "virtio", "virtio3");
  // The recorded default route (oif rt0 = 3) pointed at the chosen link.
  const routes = routeReplies.map((d) => d.slice());
  const [first] = routes;
  assert.ok(first, "the recorded route dump has a reply");
  const mainDefault = first.findIndex((_, at) =>
    at % 4 === 0 && new DataView(first.buffer).getUint32(at, true) === 0x00040008 &&
    new DataView(first.buffer).getUint32(at + 4, true) === 3
  );
  new DataView(first.buffer).setUint32(mainDefault + 4, defaultVia === 0 ? eth0Index : defaultVia, true);
  node.kernel.responder = (request, k) => {
    const { seq } = headerOf(request);
    if (headerOf(request).type === RTM_GETLINK) {
      return [concat(restamp(eth0, seq, k.port), restamp(ens10, seq, k.port)), doneFor(request, k.port)];
    }
    if (headerOf(request).type === RTM_GETROUTE) {
      return [...routes.map((d) => restamp(d, seq, k.port)), doneFor(request, k.port)];
    }
    // No netns holds a link moved from this node: nothing is stacked on a NIC from elsewhere.
    if (headerOf(request).type === RTM_GETNSID) return [doneFor(request, k.port)];
    throw new Error(`unexpected request type ${headerOf(request).type}`);
  };
  return { ...node, eth0Index };
}

Deno.test("findNic(): by PCI address through sysfs; the default-route NIC (eth0) is refused with 101", async () => {
  const { hd } = await fakeNode(0);
  assert.deepEqual(JSON.parse(hd.lookupNic("0000:00:0a.0")), { name: "ens10", index: 10 });
  assert.deepEqual(
    JSON.parse(hd.lookupNic("0000:00:0A.0")),
    { name: "ens10", index: 10 },
    "case-insensitive",
  );
  const eth0Refused = JSON.parse(hd.lookupNic("0000:00:03.0"));
  assert.equal(eth0Refused.code, 101);
  assert.match(eth0Refused.msg, /refusing to move "eth0".*it carries a default route of the node/);
  const missing = JSON.parse(hd.lookupNic("0000:00:0b.0"));
  assert.equal(missing.code, 100);
  assert.match(missing.msg, /no NIC for deviceID "0000:00:0b.0"/);
});

Deno.test("findNic(): a NIC becomes refusable the moment a default route moves onto it", async () => {
  const { hd } = await fakeNode(10);
  assert.equal(JSON.parse(hd.lookupNic("0000:00:0a.0")).code, 101);
});
