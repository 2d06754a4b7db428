// Discovery on golden netlink dumps, end to end through the real code on both sides: recorded RTM_NEWLINK
// datagrams → the link broker's decoder and Link mapping (wasm) → the daemon's discovery (TypeScript).
// link_eth0.hex is this VM's real virtio NIC (read-only capture), link_bond0.hex a bond synthesized from it
// (the kernel here has no bonding module), link_dump.hex a dump of lo, veths, a bridge, macvlan and macvtaps.
import assert from "node:assert/strict";
import { loadModule } from "../load_module.ts";
import { fixtureSection, loadFixture } from "../netlink/_fixtures.ts";
import { discoverResources, isSuitableLower } from "../../../daemon/macvtap/discovery.ts";
import { checkLink } from "../../../daemon/links/broker_protocol.ts";
import type { Link } from "../../../daemon/links/node_links.ts";

let numaLookups = 0;
const broker = await loadModule<{ linksOfDatagram(datagram: Uint8Array): string }>("broker", {
  macvtap_host: {
    link_numa_node: (_name: number, _length: number) => {
      numaLookups++;
      return 0; // node 0: as a single-socket machine with a real NUMA file reports
    },
    bus_device_link: () => -2, // ENOENT: no sysfs here (hostdev_discovery_golden_test.ts fakes one)
  },
});

function linksOf(datagram: Uint8Array): Link[] {
  const out = broker.linksOfDatagram(datagram);
  assert.ok(!out.startsWith("err:"), out);
  // The daemon's own protocol check: what the broker writes must be valid Link objects.
  return (JSON.parse(out) as unknown[]).map(checkLink);
}

Deno.test("golden eth0 (virtio NIC): a physical lower with its parent device and NUMA node", () => {
  const [eth0] = linksOf(fixtureSection("link_eth0", "reply-1"));
  assert.ok(eth0, "the reply lists eth0");
  assert.equal(eth0.name, "eth0");
  assert.equal(eth0.kind, undefined);
  assert.equal(eth0.parentDevName, "virtio2");
  assert.equal(eth0.parentBusName, "virtio");
  assert.equal(eth0.numaNode, 0);
  assert.ok(eth0.up && eth0.carrier && !eth0.loopback);
  assert.ok(isSuitableLower(eth0));
});

Deno.test("golden bond0 (synthetic): a bond lower, no parent device", () => {
  const [bond0] = linksOf(fixtureSection("link_bond0", "reply-1"));
  assert.ok(bond0, "the reply lists bond0");
  assert.equal(bond0.name, "bond0");
  assert.equal(bond0.kind, "bond");
  assert.equal(bond0.parentDevName, undefined);
  assert.ok(isSuitableLower(bond0));
});

Deno.test("golden dump: lo, veths, bridge, macvlan and macvtaps are never discovered; eth0 and bond0 are", () => {
  const dump = [...loadFixture("link_dump")].filter(([name]) => name.startsWith("reply")).flatMap(([, d]) =>
    linksOf(d)
  );
  assert.ok(dump.length >= 5, `decoded ${dump.length} links`);
  assert.deepEqual(dump.filter(isSuitableLower), [], dump.map((l) => `${l.name}:${l.kind}`).join(" "));
  const macvtaps = dump.filter((l) => l.kind === "macvtap");
  assert.ok(
    macvtaps.length > 0 && macvtaps.every((l) => l.macvtapMode !== undefined && l.lowerIfindex !== undefined),
  );
  const all = [
    ...dump,
    ...linksOf(fixtureSection("link_eth0", "reply-1")),
    ...linksOf(fixtureSection("link_bond0", "reply-1")),
  ];
  const { resources } = discoverResources(all);
  assert.deepEqual(resources.map((r) => [r.name, r.lowerDevice, r.mode, r.capacity]), [
    ["bond0", "bond0", "bridge", 100],
    ["eth0", "eth0", "bridge", 100],
  ]);
});
