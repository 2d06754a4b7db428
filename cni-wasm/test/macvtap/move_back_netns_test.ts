// ADD's rollback step (macvtap/move_back.ts MoveBackToNode) finds OUR macvtap in
// the pod by what the move set (its name, kind macvtap, its lower link in the node netns) whatever its
// ifindex there, and never takes a link of the pod's own. ADD pins the ifindex on this kernel
// (IFLA_NEW_IFINDEX), so the renumbered state is staged here by hand: `ip link set netns` into a pod that
// already uses the ifindex, as a kernel that ignored the pin would leave it. The step runs on the native
// host from the node netns (modules/command.ts), like the plugin.
import assert from "node:assert/strict";
import { TestNetns } from "../../../testing/netns.ts";
import { NativeModule } from "../native_module.ts";
import { rootTest } from "../../../testing/root_gate.ts";

const MAC = "02:00:00:4d:00:01";

/** Node (lower0 + the temp link at a random ifindex, up, MAC set) and a pod whose own veth "foo" has that ifindex. */
async function stage(node: TestNetns, pod: TestNetns, wire: TestNetns) {
  await node.addVeth("lower0", "lower0p", wire);
  const index = await node.addMacvtap("mvttemp", "lower0");
  await node.ip("link", "set", "mvttemp", "address", MAC);
  const lower = (await node.link("lower0"))!.ifindex;
  await pod.addVethAt("foo", index);
  return { index, lower };
}

function state(
  link: { ifindex: number; address: string; mtu: number; flags: string[]; promiscuity: number } | null,
) {
  return link &&
    {
      ifindex: link.ifindex,
      address: link.address,
      mtu: link.mtu,
      up: link.flags.includes("UP"),
      promiscuity: link.promiscuity,
    };
}

rootTest(
  "rollback finds our renumbered macvtap in the pod and puts it back at its node ifindex, as it was",
  async () => {
    await using node = await TestNetns.create("mb-node");
    await using pod = await TestNetns.create("mb-pod");
    await using wire = await TestNetns.create("mb-wire");
    const { index, lower } = await stage(node, pod, wire);
    const foo = state(await pod.link("foo"));
    await node.ip("link", "set", "mvttemp", "netns", pod.name, "name", "net1");
    const moved = (await pod.link("net1"))!;
    assert.notEqual(moved.ifindex, index, "renumbered in the pod");
    await pod.ip("link", "set", "net1", "mtu", "1400", "address", "02:00:00:4d:00:99", "promisc", "on", "up");

    await using native = await NativeModule.start(node.path);
    assert.equal(await native.call("moveBackToNode", pod.path, "net1", "mvttemp", index, lower, MAC), "");
    assert.deepEqual((await pod.links()).map((l) => l.ifname).sort(), ["foo", "foop", "lo"]);
    assert.deepEqual(state(await pod.link("foo")), foo, "the pod's own link with that ifindex is untouched");
    const back = state(await node.link("mvttemp"));
    assert.deepEqual(back, { ifindex: index, address: MAC, mtu: 1500, up: true, promiscuity: 0 });
    assert.ok((await Deno.lstat(`/dev/tap${index}`)).isCharDevice, `/dev/tap${index} names it again`);
  },
);

rootTest(
  "rollback never takes a pod's own macvtap that has our names but not our lower link",
  async () => {
    await using node = await TestNetns.create("mb-node");
    await using pod = await TestNetns.create("mb-pod");
    await using wire = await TestNetns.create("mb-wire");
    const { index, lower } = await stage(node, pod, wire);
    // The pod's own macvtap, on the pod's own link, named like ours would be.
    await pod.addMacvtap("net1", "foo");
    const before = JSON.stringify(await pod.links());

    await using native = await NativeModule.start(node.path);
    assert.equal(await native.call("moveBackToNode", pod.path, "net1", "mvttemp", index, lower, MAC), "");
    assert.equal(JSON.stringify(await pod.links()), before, "nothing in the pod moved or changed");
    assert.equal(state(await node.link("mvttemp"))?.ifindex, index, "ours never left the node");
  },
);
