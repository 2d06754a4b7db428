// 20 pods start at once on one node: 20 Allocates through the real daemon and link broker, then 20 CNI ADDs
// of different devices into different pods, all in flight together (each ADD moves a link between netns,
// which serialises on the kernel's rtnl lock, and runs host-local, which serialises on its file lock).
// Proves: every ADD succeeds, each pod holds exactly its own macvtap, the 20 /dev/tapN are distinct and
// chowned, the 20 addresses are distinct; then 20 concurrent DELs leave no link, tap node or lease.
import assert from "node:assert/strict";
import { expectResult, expectSuccess } from "../testing/expect.ts";
import { hostLocalIpam, leaseFiles } from "../testing/host_local.ts";
import { globalAddresses, linkNames, tapNode } from "../testing/pod_view.ts";
import { macvtapConfig } from "../testing/test_node.ts";
import { DaemonNode } from "../daemon/testing/daemon_node.ts";
import { macvtapsIn, tapExists } from "../testing/leaks.ts";
import { waitFor } from "../testing/wait.ts";
import { rootTest } from "../testing/root_gate.ts";

const PODS = 20;
const VERSION = "1.0.0";
const NETWORK = "fault-adds";

rootTest(
  `${PODS} concurrent ADDs of different devices into different pods: all succeed, own /dev/tapN each`,
  async () => {
    await using node = await DaemonNode.start("fcadds", { capacity: PODS });
    const ids = Array.from({ length: PODS }, (_, i) => `lower0Mvp${i}`);
    const allocations = await Promise.all(ids.map((id) => node.allocate(id)));
    const attachments = await Promise.all(ids.map(() => node.test.attachment()));
    const ipam = hostLocalIpam(node.test.ipamDataDir, [{ subnet: "10.79.0.0/24" }]);
    const configs = allocations.map((a) => macvtapConfig(VERSION, NETWORK, { deviceID: a.deviceId, ipam }));

    const adds = await Promise.all(attachments.map((pod, i) => node.test.run("ADD", pod, configs[i]!)));
    const results = adds.map((run, i) => expectResult(run, VERSION, `ADD #${i}`));

    const taps = new Set(allocations.map((a) => a.ifindex));
    assert.equal(taps.size, PODS, `Allocate handed out duplicate /dev/tapN: ${[...taps].join(", ")}`);
    const addresses = new Set<string>();
    for (const [i, pod] of attachments.entries()) {
      const links = await pod.pod.links();
      assert.deepEqual(await linkNames(pod.pod), ["net1"], `pod #${i} holds exactly net1`);
      const net1 = links.find((l) => l.ifname === "net1")!;
      assert.equal(net1.linkinfo?.info_kind, "macvtap");
      assert.equal(net1.ifindex, allocations[i]!.ifindex, `pod #${i} got its own device, not another's`);
      assert.deepEqual(tapNode(net1.ifindex), { uid: 107, gid: 107, mode: 0o600 }, `/dev/tap${net1.ifindex}`);
      const [address] = await globalAddresses(pod.pod, "net1");
      assert.equal(
        results[i]!.ips?.[0]?.address,
        address,
        `pod #${i}: the Result names the kernel's address`,
      );
      addresses.add(address!);
    }
    assert.equal(addresses.size, PODS, "every pod got its own address");
    assert.equal(leaseFiles(node.test.ipamDataDir, NETWORK).length, PODS);
    assert.deepEqual(await macvtapsIn(node.test.node), [], "no temp link left on the node");

    const dels = await Promise.all(
      attachments.map((pod, i) => node.test.run("DEL", pod, { ...configs[i], prevResult: results[i] })),
    );
    dels.forEach((run, i) => expectSuccess(run, `DEL #${i}`));
    for (const pod of attachments) assert.deepEqual(await linkNames(pod.pod), []);
    assert.deepEqual(leaseFiles(node.test.ipamDataDir, NETWORK), [], "every lease released");
    await waitFor("every /dev/tapN to go", () => allocations.every((a) => !tapExists(a.ifindex)));
  },
  { sanitizers: false },
);
