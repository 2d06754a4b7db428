// Datapath proof: after ADD, QEMU's side of the attachment works as KubeVirt's macvtap binding uses it
// (libvirt opens /dev/tap<ifindex> for an <interface type='ethernet'> whose target is the pod link).
// As uid 107 (KubeVirt's qemu) the test opens /dev/tap<ifindex>, writes a frame and sees it leave through
// the lower link on the wire, reads a frame the wire sent to the macvtap's MAC, and two pods on one lower
// link reach each other tap to tap (bridge mode). /dev/tapN is 0600 and owned by 107:107, so any other uid
// is refused.
import { deepEqual, equal } from "node:assert/strict";
import { expectResult } from "../testing/expect.ts";
import { carriesMarker, markedFrame, parseEthernet } from "./harness/ethernet.ts";
import {
  type Credentials,
  FrameCapture,
  PYTHON,
  sendOnLink,
  sendOnTap,
  tapOpenError,
} from "./harness/frames.ts";
import { tapNode } from "../testing/pod_view.ts";
import { rootTest } from "../testing/root_gate.ts";
import { type Allocation, macvtapConfig, TestNode, WIRE_LINK } from "../testing/test_node.ts";

const QEMU: Credentials = { uid: 107, gid: 107 };
const NEEDS = { programs: [PYTHON] };

/** ADD of one device into a new pod with a fixed MAC; returns its allocation. */
async function attach(node: TestNode, deviceId: string, mac: string, extra: Record<string, unknown> = {}) {
  const allocation = await node.allocate(deviceId);
  const pod = await node.attachment();
  const config = macvtapConfig("1.1.0", "datapath", { deviceID: deviceId, mac, ...extra });
  expectResult(await node.run("ADD", pod, config), "1.1.0");
  return { allocation, pod };
}

async function wireMac(node: TestNode): Promise<string> {
  return (await node.wire.link(WIRE_LINK))!.address;
}

rootTest("datapath: a frame uid 107 writes to /dev/tapN leaves through the lower link", async () => {
  await using node = await TestNode.create("dptx");
  const mac = "02:00:00:d0:00:01";
  const { allocation } = await attach(node, "dpMvp0", mac);
  await using wire = await FrameCapture.onLink(node.wire, WIRE_LINK);
  const { frame, marker } = markedFrame(await wireMac(node), mac);
  await sendOnTap(allocation.ifindex, frame, QEMU);
  const seen = await wire.find((f) => carriesMarker(f, marker), "frame written to the tap");
  equal(parseEthernet(seen)?.src, mac);
}, NEEDS);

rootTest(
  "datapath: uid 107 reads from /dev/tapN the frame the wire sent to the macvtap's MAC",
  async () => {
    await using node = await TestNode.create("dprx");
    const mac = "02:00:00:d0:00:02";
    const { allocation } = await attach(node, "dpMvp0", mac);
    await using tap = await FrameCapture.onTap(allocation.ifindex, QEMU);
    const peer = await wireMac(node);
    // Sent first, to a MAC that is not ours: a non-promiscuous bridge-mode macvtap must not pass it up.
    const foreign = markedFrame("02:00:00:d0:00:99", peer);
    const ours = markedFrame(mac, peer);
    await sendOnLink(node.wire, WIRE_LINK, foreign.frame);
    await sendOnLink(node.wire, WIRE_LINK, ours.frame);
    const first = await tap.find(
      (f) => carriesMarker(f, foreign.marker) || carriesMarker(f, ours.marker),
      "frame from the wire",
    );
    deepEqual(first, ours.frame, "the tap delivered the frame for another MAC, or changed ours");
  },
  NEEDS,
);

rootTest("datapath: bridge mode, two pods on one lower link exchange frames tap to tap", async () => {
  await using node = await TestNode.create("dpbr");
  const macA = "02:00:00:d0:00:0a";
  const macB = "02:00:00:d0:00:0b";
  const a = await attach(node, "dpMvp0", macA);
  const b = await attach(node, "dpMvp1", macB);
  await exchange(node, [a.allocation, macA], [b.allocation, macB]);
  await exchange(node, [b.allocation, macB], [a.allocation, macA]);
}, NEEDS);

/**
 * `from` writes a frame for `to` into its tap; `to` reads it from its tap. A second frame, for the wire,
 * follows: if the first had also gone out of the lower link (not bridged locally) the wire sees it first.
 */
async function exchange(node: TestNode, from: [Allocation, string], to: [Allocation, string]): Promise<void> {
  await using tap = await FrameCapture.onTap(to[0].ifindex, QEMU);
  await using wire = await FrameCapture.onLink(node.wire, WIRE_LINK);
  const local = markedFrame(to[1], from[1]);
  const outward = markedFrame(await wireMac(node), from[1]);
  await sendOnTap(from[0].ifindex, local.frame, QEMU);
  await sendOnTap(from[0].ifindex, outward.frame, QEMU);
  deepEqual(
    await tap.find((f) => carriesMarker(f, local.marker), `frame ${from[1]} -> ${to[1]}`),
    local.frame,
  );
  const onWire = await wire.find(
    (f) => carriesMarker(f, local.marker) || carriesMarker(f, outward.marker),
    "frame for the wire",
  );
  deepEqual(onWire, outward.frame, "a frame between two local macvtaps leaked onto the lower link");
}

rootTest(
  "datapath: /dev/tapN is 0600 107:107 after ADD; uid 108 is refused, uid 107 is not",
  async () => {
    await using node = await TestNode.create("dpperm");
    const { allocation } = await attach(node, "dpMvp0", "02:00:00:d0:00:03");
    deepEqual(tapNode(allocation.ifindex), { uid: 107, gid: 107, mode: 0o600 });
    equal(await tapOpenError(allocation.ifindex, QEMU), null);
    equal(await tapOpenError(allocation.ifindex, { uid: 108, gid: 108 }), "EACCES");
    // Same group, other user: 0600 gives the group nothing.
    equal(await tapOpenError(allocation.ifindex, { uid: 108, gid: 107 }), "EACCES");
  },
  NEEDS,
);

rootTest("datapath: owner/group from the NAD decide who may open /dev/tapN", async () => {
  await using node = await TestNode.create("dpowner");
  const { allocation } = await attach(node, "dpMvp0", "02:00:00:d0:00:04", { owner: 2000, group: 2000 });
  deepEqual(tapNode(allocation.ifindex), { uid: 2000, gid: 2000, mode: 0o600 });
  equal(await tapOpenError(allocation.ifindex, { uid: 2000, gid: 2000 }), null);
  equal(await tapOpenError(allocation.ifindex, QEMU), "EACCES");
}, NEEDS);
