import assert from "node:assert/strict";
import type { HostdevResourceConfig, NicSelection } from "../config.ts";
import type { Link } from "../links/node_links.ts";
import { assignNics, nicDeviceId, selects } from "./nic_selection.ts";

function link(name: string, extra: Partial<Link> = {}): Link {
  return { ifindex: 1, name, up: true, carrier: true, loopback: false, firstSeenMs: 0, ...extra };
}

function virtio(name: string, pciAddress: string, extra: Partial<Link> = {}): Link {
  return link(name, {
    parentDevName: "virtio3",
    parentBusName: "virtio",
    driver: "virtio_net",
    pciAddress,
    ...extra,
  });
}

// A VM node as the broker reports it: eth0 (virtio, default route), two spare virtio NICs, an ixgbe NIC,
// loopback, a veth and a macvtap.
const NODE: Link[] = [
  link("lo", { loopback: true }),
  virtio("eth0", "0000:00:03.0", { defaultRoute: true }),
  virtio("ens9", "0000:00:09.0", { up: false, carrier: false }),
  virtio("ens10", "0000:00:0a.0"),
  link("ens1f0", {
    parentDevName: "0000:3b:00.0",
    parentBusName: "pci",
    driver: "ixgbe",
    pciAddress: "0000:3b:00.0",
  }),
  link("veth9", { kind: "veth" }),
  link("mvt0123456789ab", { kind: "macvtap" }),
];

const by = (select: NicSelection) => NODE.filter((l) => selects(select, l)).map((l) => l.name);

Deno.test("selects(): by driver picks NICs with that driver, never the default-route interface", () => {
  assert.deepEqual(by({ by: "driver", driver: "virtio_net" }), ["ens9", "ens10"]);
  assert.deepEqual(by({ by: "driver", driver: "ixgbe" }), ["ens1f0"]);
  assert.deepEqual(by({ by: "driver", driver: "e1000" }), []);
});

Deno.test("selects(): by PCI address and by name; naming lets a veth in, never eth0, lo or a macvtap", () => {
  assert.deepEqual(by({ by: "pciAddress", pciAddresses: ["0000:00:03.0", "0000:3b:00.0"] }), ["ens1f0"]);
  assert.deepEqual(by({ by: "name", interfaces: ["veth9", "eth0", "lo", "mvt0123456789ab", "ens9"] }), [
    "ens9",
    "veth9",
  ]);
});

Deno.test("nicDeviceId(): the PCI address, else the name", () => {
  assert.equal(nicDeviceId(NODE[2]!), "0000:00:09.0");
  assert.equal(nicDeviceId(NODE[5]!), "veth9");
});

Deno.test("assignNics(): one owner per NIC in config order, never a macvtap lower, sorted by device ID", () => {
  const resources: HostdevResourceConfig[] = [
    { name: "pinned", kind: "hostdev", select: { by: "pciAddress", pciAddresses: ["0000:00:0a.0"] } },
    { name: "virtio", kind: "hostdev", select: { by: "driver", driver: "virtio_net" } },
    { name: "intel", kind: "hostdev", select: { by: "driver", driver: "ixgbe" } },
  ];
  const assigned = assignNics(resources, NODE, new Set(["ens1f0"]));
  const names = (resource: string) => assigned.get(resource)!.map((l) => l.name);
  assert.deepEqual(names("pinned"), ["ens10"]);
  assert.deepEqual(names("virtio"), ["ens9"]);
  assert.deepEqual(names("intel"), [], "ens1f0 carries macvtap resource devices");
  const both = assignNics([resources[1]!], [NODE[3]!, NODE[2]!], new Set());
  assert.deepEqual(both.get("virtio")!.map(nicDeviceId), ["0000:00:09.0", "0000:00:0a.0"]);
});
