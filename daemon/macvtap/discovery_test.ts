import assert from "node:assert/strict";
import type { Link } from "../links/node_links.ts";
import { discoverResources, isSuitableLower } from "./discovery.ts";

function link(name: string, extra: Partial<Link> = {}): Link {
  return { ifindex: 1, name, up: true, carrier: true, loopback: false, firstSeenMs: 0, ...extra };
}

// What `ip -j -d link` shows on this kind of machine and on typical nodes, reduced to protocol links.
const NODE_LINKS: Link[] = [
  link("lo", { loopback: true }),
  link("eth0", { parentDevName: "virtio2", parentBusName: "virtio" }),
  link("ens1f0", { parentDevName: "0000:3b:00.0", parentBusName: "pci", numaNode: 0 }),
  link("bond0", { kind: "bond" }),
  link("ens1f1", { parentDevName: "0000:3b:00.1", parentBusName: "pci" }), // enslaved to bond0: still a NIC
  link("ifb0", { kind: "ifb" }),
  link("teql0"), // kind-less but virtual: no parent device
  link("veth12", { kind: "veth" }),
  link("br0", { kind: "bridge" }),
  link("bond0.100", { kind: "vlan" }),
  link("mvtf2644cc3624e", { kind: "macvtap" }),
];

Deno.test("isSuitableLower() keeps NICs and bonds, drops loopback and virtual links", () => {
  assert.deepEqual(NODE_LINKS.filter(isSuitableLower).map((l) => l.name), [
    "eth0",
    "ens1f0",
    "bond0",
    "ens1f1",
  ]);
});

Deno.test("discoverResources() makes one default resource per suitable link, by name", () => {
  const { resources, skipped } = discoverResources(NODE_LINKS);
  assert.deepEqual(resources.map((r) => r.name), ["bond0", "ens1f0", "ens1f1", "eth0"]);
  assert.deepEqual(resources[0], { name: "bond0", lowerDevice: "bond0", mode: "bridge", capacity: 100 });
  assert.deepEqual(skipped, []);
});

Deno.test("discoverResources() skips links whose names cannot be resource names", () => {
  const { resources, skipped } = discoverResources([
    link("eth0-", { parentDevName: "x" }),
    link("eth0", { kind: "bond" }),
  ]);
  assert.deepEqual(resources.map((r) => r.name), ["eth0"]);
  assert.deepEqual(skipped, ["eth0-"]);
});
