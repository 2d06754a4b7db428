// The hostdev CNI path on the real kernel. The kernel here has no spare virtio NIC, so a veth stands in
// for the NIC (selected by name: deviceID = its name). What is checked: ADD moves the NIC into the pod as
// CNI_IFNAME with MAC/MTU/IPAM and it carries traffic; CHECK; DEL moves it BACK to the node under its
// original name with its MAC, MTU, alias and up state (never deletes it), and again finds nothing to do;
// a failure after the move rolls everything back; refusals (loopback, default-route interface, bridge
// port, macvtap, unknown PCI address) touch nothing; DEL after the pod netns is gone. The machine's own
// eth0 is never moved: its ifindex, name and MAC are compared before and after every test.
import assert from "node:assert/strict";
import { ip } from "../../../testing/netns.ts";
import { rootTest } from "../../../testing/root_gate.ts";
import { waitFor } from "../../../testing/wait.ts";
import { type HostdevNode, NIC_ALIAS, NIC_MAC, withHostdevNode } from "../../../testing/hostdev_node.ts";
import { expectOk } from "../../../testing/expect.ts";

const CONFIG = {
  cniVersion: "1.0.0", // Debian's static IPAM plugin speaks up to 1.0.0
  name: "nics",
  type: "macvtap",
  deviceType: "hostdev",
  deviceID: "nic0",
  mac: "02:00:00:00:bb:02",
  mtu: 1400,
  ipam: { type: "static", addresses: [{ address: "10.10.0.5/24" }] },
};

/** A root-gated test on a fresh HostdevNode; the machine's eth0 is compared before and after. */
function hostdevTest(name: string, fn: (t: HostdevNode) => Promise<void>): void {
  rootTest(name, () => withHostdevNode("cni", fn), { programs: ["/usr/lib/cni/static"] });
}

async function nicState(t: HostdevNode, name = "nic0") {
  const [link] = JSON.parse(await t.node.ip("-j", "link", "show", name));
  return {
    name: link.ifname,
    mac: link.address,
    mtu: link.mtu,
    alias: link.ifalias,
    up: link.flags.includes("UP"),
  };
}

/**
 * A datagram from the pod to the wire's 10.10.0.1 makes the pod ARP for it; the wire side learns the
 * pod's address and MAC from that request, which only crossed the moved NIC.
 */
async function assertCarriesTraffic(t: HostdevNode): Promise<void> {
  const send =
    "import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'x', ('10.10.0.1', 9))";
  for (let attempt = 0; attempt < 50; attempt++) {
    await ip("netns", "exec", t.pod.name, "python3", "-c", send);
    const neighbours = JSON.parse(await t.wire.ip("-j", "neigh", "show", "dev", "nic0p"));
    const pod = neighbours.find((n: { dst: string }) => n.dst === "10.10.0.5");
    if (pod?.lladdr) return assert.equal(pod.lladdr, "02:00:00:00:bb:02");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.fail("the wire never heard from the pod through the moved NIC");
}

const PRISTINE = { name: "nic0", mac: NIC_MAC, mtu: 1500, alias: NIC_ALIAS, up: true };

hostdevTest("hostdev ADD → CHECK → DEL: the NIC goes into the pod and comes back as it was", async (t) => {
  await t.addNic("nic0");
  await t.wire.ip("addr", "add", "10.10.0.1/24", "dev", "nic0p");
  const result = expectOk(await t.cni("ADD", CONFIG))!;
  assert.deepEqual(result.interfaces, [
    { name: "net1", mac: "02:00:00:00:bb:02", sandbox: t.pod.path },
  ]);
  assert.deepEqual((result.ips as { address: string }[]).map((i) => i.address), ["10.10.0.5/24"]);
  assert.equal(await t.node.link("nic0"), null, "nic0 left the node");
  const [net1] = JSON.parse(await t.pod.ip("-j", "addr", "show", "net1"));
  assert.equal(net1.address, "02:00:00:00:bb:02");
  assert.equal(net1.mtu, 1400);
  assert.ok(net1.flags.includes("UP"));
  assert.ok(net1.addr_info.some((a: { local: string }) => a.local === "10.10.0.5"));
  const [podLink] = JSON.parse(await t.pod.ip("-j", "link", "show", "net1"));
  assert.equal(
    podLink.ifalias,
    `macvtap-cni hostdev id=nic0 name=nic0 mtu=1500 mac=02000000aa01 up=1 alias=${NIC_ALIAS}`,
    "where it came from travels with it",
  );
  await assertCarriesTraffic(t);

  expectOk(await t.cni("CHECK", { ...CONFIG, prevResult: result }));
  await t.pod.ip("link", "set", "net1", "mtu", "1300");
  const drifted = await t.cni("CHECK", { ...CONFIG, prevResult: result });
  assert.equal((drifted.json as { code: number }).code, 105, drifted.stdout);

  assert.equal(expectOk(await t.cni("DEL", { ...CONFIG, prevResult: result })), null);
  assert.equal(await t.pod.link("net1"), null, "net1 left the pod");
  assert.deepEqual(await nicState(t), PRISTINE, "back under its name with MAC, MTU, alias and up state");
  expectOk(await t.cni("DEL", { ...CONFIG, prevResult: result }));
  assert.deepEqual(await nicState(t), PRISTINE, "a second DEL changes nothing");
});

hostdevTest(
  "hostdev ADD: a failure after the move (unreachable route) rolls the NIC back to the node",
  async (t) => {
    await t.addNic("nic0");
    const run = await t.cni("ADD", {
      ...CONFIG,
      ipam: {
        type: "static",
        addresses: [{ address: "10.10.0.5/24" }],
        routes: [{ dst: "10.99.0.0/16", gw: "10.200.0.1" }],
      },
    });
    assert.equal(run.code, 1, run.stdout);
    assert.equal((run.json as { code: number }).code, 103);
    assert.match((run.json as { msg: string }).msg, /adding route to 10\.99\.0\.0\/16/);
    assert.equal(await t.pod.link("net1"), null);
    assert.deepEqual(await nicState(t), PRISTINE);
  },
);

hostdevTest(
  "hostdev ADD refuses loopback, the default-route interface, a bridge port, a macvtap; 100 for no NIC",
  async (t) => {
    await t.addNic("nic1");
    await t.addNic("nic2");
    await t.node.ip("addr", "add", "10.20.0.2/24", "dev", "nic1");
    await t.node.ip("route", "add", "default", "via", "10.20.0.1", "dev", "nic1");
    await t.node.ip("link", "add", "br0", "type", "bridge");
    await t.node.ip("link", "set", "nic2", "master", "br0");
    await t.node.addMacvtap("mvt0", "nic1");
    const cases: [string, number, RegExp][] = [
      ["lo", 101, /"lo".*it is the loopback device/],
      ["nic1", 101, /"nic1".*it carries a default route of the node/],
      ["nic2", 101, /"nic2".*it is a port of ifindex \d+ \(a bond or bridge\)/],
      ["mvt0", 101, /"mvt0".*it is a macvtap/],
      ["0000:00:0b.0", 100, /no NIC for deviceID "0000:00:0b.0"/],
      ["not a name!", 7, /neither a PCI address .* nor an interface name/],
    ];
    const before = JSON.stringify(await t.node.links());
    for (const [deviceID, code, message] of cases) {
      const run = await t.cni("ADD", { ...CONFIG, deviceID });
      assert.equal((run.json as { code: number }).code, code, `${deviceID}: ${run.stdout}`);
      assert.match((run.json as { msg: string }).msg, message);
    }
    assert.equal(JSON.stringify(await t.node.links()), before, "nothing on the node changed");
    assert.deepEqual(await t.pod.links().then((l) => l.map((x) => x.ifname)), ["lo"]);
  },
);

hostdevTest(
  "hostdev DEL after the pod netns is gone: a veth dies with it; a NIC the kernel returned is restored",
  async (t) => {
    await t.addNic("nic0");
    expectOk(await t.cni("ADD", CONFIG));
    const podPath = t.pod.path;
    await ip("netns", "del", t.pod.name);
    // A veth is destroyed with its netns (a physical NIC would be returned to the node by the kernel instead).
    // The kernel tears a deleted netns down asynchronously.
    await waitFor(
      "the veth pair to die with the pod netns",
      async () => await t.wire.link("nic0p") === null,
      {
        timeoutMs: 5000,
      },
    );
    assert.equal(await t.node.link("nic0"), null);
    expectOk(await t.cni("DEL", CONFIG, { netns: podPath }));

    // What the kernel does with a physical NIC (it cannot with a veth): back in the node netns, down, under
    // "dev<ifindex>" when its pod name is taken, its alias intact. Staged by hand, then DEL restores it.
    await t.node.addVeth("dev77", "dev77p", t.wire);
    await t.node.ip("link", "set", "dev77", "down");
    await t.node.ip("link", "set", "dev77", "mtu", "1400", "address", "02:00:00:00:bb:02");
    await t.node.ip(
      "link",
      "set",
      "dev77",
      "alias",
      `macvtap-cni hostdev id=nic5 name=nic5 mtu=1500 mac=02000000aa01 up=1 alias=${NIC_ALIAS}`,
    );
    expectOk(await t.cni("DEL", { ...CONFIG, deviceID: "nic5" }, { netns: podPath }));
    assert.deepEqual(await nicState(t, "nic5"), { ...PRISTINE, name: "nic5" });
    expectOk(await t.cni("DEL", { ...CONFIG, deviceID: "nic5" }, { netns: podPath }));
    assert.deepEqual(await nicState(t, "nic5"), { ...PRISTINE, name: "nic5" }, "idempotent");

    // A NIC that had no alias on the node has none again afterwards.
    await t.node.addVeth("dev78", "dev78p", t.wire);
    await t.node.ip(
      "link",
      "set",
      "dev78",
      "alias",
      "macvtap-cni hostdev id=nic6 name=nic6 mtu=1500 mac= up=0 alias=",
    );
    expectOk(await t.cni("DEL", { ...CONFIG, deviceID: "nic6" }, { netns: podPath }));
    const nic6 = await nicState(t, "nic6");
    assert.equal(nic6.alias, undefined);
    assert.equal(nic6.up, false, "it was down on the node");
  },
);
