// Gratuitous ARP and unsolicited neighbour advertisement when IPAM configured addresses (the plugin sets
// net.ipv4.conf.<if>.arp_notify=1 and net.ipv6.conf.<if>.ndisc_notify=1 before the link goes up; the kube-ovn
// fork, coldzerofear/macvtap-cni pkg/cni/plugin.go CmdAdd, sets arp_notify before ipam.ConfigureIface):
// switches and peers on the wire learn the pod's new MAC at once, which matters when a VM's address moves to
// another node (live migration) or kube-ovn reuses an address.
import { equal } from "node:assert/strict";
import { expectResult } from "../testing/expect.ts";
import { parseArp, parseNeighbourAdvert } from "./harness/ethernet.ts";
import { FrameCapture, PYTHON } from "./harness/frames.ts";
import { netSysctl } from "../testing/pod_view.ts";
import { rootTest } from "../testing/root_gate.ts";
import { macvtapConfig, TestNode, WIRE_LINK } from "../testing/test_node.ts";

const MAC = "02:00:00:a4:00:01";
const NEEDS = { programs: [PYTHON, "/usr/lib/cni/static"] };

const STATIC_DUAL_STACK = {
  type: "static",
  addresses: [
    { address: "10.66.0.5/24", gateway: "10.66.0.1" },
    { address: "fd00:66::5/64", gateway: "fd00:66::1" },
  ],
};

rootTest(
  "neighbour notify: ADD with IPAM announces the addresses (gratuitous ARP, unsolicited NA)",
  async () => {
    await using node = await TestNode.create("garp");
    const allocation = await node.allocate("garpMvp0");
    const pod = await node.attachment();
    await using wire = await FrameCapture.onLink(node.wire, WIRE_LINK);
    const config = macvtapConfig("1.0.0", "garp", {
      deviceID: allocation.deviceId,
      mac: MAC,
      ipam: STATIC_DUAL_STACK,
    });
    expectResult(await node.run("ADD", pod, config), "1.0.0");

    await wire.find((frame) => {
      const arp = parseArp(frame);
      // Gratuitous: sender and target are both the pod's own address (RFC 5227 §3 ARP announcement).
      return arp !== null && arp.senderMac === MAC && arp.senderIp === "10.66.0.5" &&
        arp.targetIp === "10.66.0.5";
    }, "gratuitous ARP for 10.66.0.5 from the pod's MAC");
    const advert = await wire.find((frame) => {
      const na = parseNeighbourAdvert(frame);
      return na !== null && na.srcMac === MAC && na.target === "fd00:66::5";
    }, "unsolicited neighbour advertisement for fd00:66::5");
    const na = parseNeighbourAdvert(advert)!;
    equal(na.dstIp, "ff02::1", "an unsolicited NA goes to all nodes");
    equal(na.flags & 0x40, 0, "an unsolicited NA must not claim to be solicited (RFC 4861 §7.2.6)");
  },
  NEEDS,
);

rootTest(
  "neighbour notify: arp_notify/ndisc_notify are set with IPAM and left alone without",
  async () => {
    await using node = await TestNode.create("garpctl");
    const withIpam = await node.attachment();
    const without = await node.attachment();
    const a = await node.allocate("garpMvp0");
    const b = await node.allocate("garpMvp1");
    const base = macvtapConfig("1.0.0", "garp");
    expectResult(
      await node.run("ADD", withIpam, { ...base, deviceID: a.deviceId, ipam: STATIC_DUAL_STACK }),
      "1.0.0",
    );
    expectResult(await node.run("ADD", without, { ...base, deviceID: b.deviceId }), "1.0.0");
    equal(await netSysctl(withIpam.pod, "ipv4/conf/net1/arp_notify"), "1");
    equal(await netSysctl(withIpam.pod, "ipv6/conf/net1/ndisc_notify"), "1");
    equal(await netSysctl(without.pod, "ipv4/conf/net1/arp_notify"), "0");
    equal(await netSysctl(without.pod, "ipv6/conf/net1/ndisc_notify"), "0");
  },
  NEEDS,
);
