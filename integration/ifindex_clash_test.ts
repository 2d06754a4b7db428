// A pod netns that already uses the macvtap's node ifindex. The device plugin told the kubelet
// /dev/tap<ifindex>; the kernel renumbers a link whose ifindex is taken in the target netns and re-creates
// its character device under the NEW index (first test: the kernel fact, measured here). So ADD must fail
// cleanly: the pod's own link with that ifindex untouched, no macvtap left in the pod, and the macvtap back
// on the node as the device plugin left it (temp name, ifindex, MAC, MTU, up).
import { deepEqual, equal, notEqual } from "node:assert/strict";
import { expectError } from "../testing/expect.ts";
import { carriesMarker, markedFrame } from "./harness/ethernet.ts";
import { type Credentials, FrameCapture, PYTHON, sendOnTapPath } from "./harness/frames.ts";
import { expectBackOnNode } from "../testing/pod_view.ts";
import { rootTest } from "../testing/root_gate.ts";
import { LOWER_LINK, macvtapConfig, TestNode, WIRE_LINK } from "../testing/test_node.ts";
import { ip, type IpLink, type TestNetns } from "../testing/netns.ts";

const QEMU: Credentials = { uid: 107, gid: 107 };

/** Owner, mode and device number of a /dev node, or null when it does not exist. */
async function devNode(path: string): Promise<{ uid: number; rdev: number } | null> {
  try {
    const info = await Deno.lstat(path);
    return info.isCharDevice ? { uid: info.uid ?? -1, rdev: info.rdev ?? -1 } : null;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
}

/**
 * The "major:minor" of a macvtap's character device, from sysfs as `netns` sees it (`ip netns exec`
 * mounts a sysfs of that netns): the kernel's own record, whatever /dev holds under that name.
 */
async function tapDeviceNumber(netns: TestNetns, ifname: string, ifindex: number): Promise<string> {
  return (await ip("netns", "exec", netns.name, "cat", `/sys/class/net/${ifname}/tap${ifindex}/dev`)).trim();
}

/**
 * A character device node of our own for `majorMinor`, owned by `owner` with mode 0600 as the CNI
 * leaves /dev/tapN; removed on dispose.
 */
async function privateNode(
  majorMinor: string,
  owner: Credentials,
): Promise<{ path: string } & AsyncDisposable> {
  const [major, minor] = majorMinor.split(":");
  const dir = await Deno.makeTempDir({ prefix: "macvtap-tapnode-" });
  await Deno.chmod(dir, 0o755);
  const path = `${dir}/tap`;
  const made = await new Deno.Command("mknod", { args: ["-m", "600", path, "c", major!, minor!] }).output();
  if (!made.success) {
    throw new Error(`mknod ${path} c ${major} ${minor}: ${new TextDecoder().decode(made.stderr)}`);
  }
  await Deno.chown(path, owner.uid, owner.gid);
  return { path, [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }) };
}

/** What a failed ADD must not have touched on the pod's own link. */
function linkState(link: IpLink | null) {
  return link && { ifindex: link.ifindex, address: link.address, mtu: link.mtu, flags: link.flags };
}

rootTest(
  "kernel fact: a macvtap renumbered by a netns move loses /dev/tap<old>; the device itself still works",
  async () => {
    await using node = await TestNode.create("ixfact");
    const allocation = await node.allocate("ixMvp0");
    const before = await devNode(`/dev/tap${allocation.ifindex}`);
    notEqual(before, null, `/dev/tap${allocation.ifindex} exists after the macvtap's creation`);
    const pod = await node.newPod();
    await pod.addVethAt("foo", allocation.ifindex);

    await node.node.ip("link", "set", allocation.tempName, "netns", pod.name, "name", "net1");
    const moved = await pod.link("net1");
    notEqual(moved, null);
    notEqual(moved!.ifindex, allocation.ifindex, "the kernel renumbered the macvtap");
    equal(await devNode(`/dev/tap${allocation.ifindex}`), null, "/dev/tap<old ifindex> is gone");

    // The kernel re-created the node as /dev/tap<new>, a low number that other netns' macvtaps may hold
    // too (devtmpfs is global), and may have given the device another minor (others were freed and taken
    // meanwhile): the test reaches it through a private node made from the kernel's sysfs record.
    const device = await tapDeviceNumber(pod, "net1", moved!.ifindex);
    await using tap = await privateNode(device, QEMU);
    await pod.ip("link", "set", "net1", "up");
    await using wire = await FrameCapture.onLink(node.wire, WIRE_LINK);
    const { frame, marker } = markedFrame((await node.wire.link(WIRE_LINK))!.address, moved!.address);
    await sendOnTapPath(tap.path, frame, QEMU);
    await wire.find((f) => carriesMarker(f, marker), "frame written to the renumbered macvtap's device");
  },
  { programs: [PYTHON] },
);

rootTest(
  "ADD into a pod that already uses the macvtap's ifindex: clean 102, the pod's link untouched, macvtap back",
  async () => {
    await using node = await TestNode.create("ixclash");
    const allocation = await node.allocate("ixMvp1");
    const onNode = await node.node.link(allocation.tempName);
    const attachment = await node.attachment();
    await attachment.pod.addVethAt("foo", allocation.ifindex);
    const podBefore = linkState(await attachment.pod.link("foo"));

    const config = macvtapConfig("1.0.0", "clash", {
      deviceID: allocation.deviceId,
      mtu: 1400,
      mac: "02:00:00:1c:00:01",
      promiscMode: true,
      ipam: { type: "static", addresses: [{ address: "10.79.0.5/24" }] },
    });
    const run = await node.run("ADD", attachment, config);
    notEqual(run.code, 0, "ADD must fail");
    // The kernel state first: that is what the old code got wrong (it configured "foo" and left net1).
    deepEqual(linkState(await attachment.pod.link("foo")), podBefore, "the pod's own link is unchanged");
    deepEqual(JSON.parse(await attachment.pod.ip("-j", "addr", "show", "dev", "foo"))[0].addr_info, []);
    deepEqual((await attachment.pod.links()).map((l) => l.ifname).sort(), ["foo", "foop", "lo"]);
    await expectBackOnNode(node, allocation, run);
    deepEqual(linkState(await node.node.link(allocation.tempName)), linkState(onNode));
    notEqual(
      await devNode(`/dev/tap${allocation.ifindex}`),
      null,
      `/dev/tap${allocation.ifindex} still names it`,
    );
    equal((await node.node.link(LOWER_LINK))?.operstate, "UP");
    expectError(run, "ADD with the ifindex taken in the pod", {
      code: 102,
      mentions: [`ifindex ${allocation.ifindex}`, "foo", `/dev/tap${allocation.ifindex}`],
    });
  },
  { programs: ["/usr/lib/cni/static"] },
);
