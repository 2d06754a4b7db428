// The lower link goes away between Allocate and ADD (a NIC unplugged, a bond torn down): the kernel
// deletes every macvtap on it, so the temp link the device plugin made at Allocate is gone before the CNI
// comes for it. ADD must fail with code 100 and a message that says which device and what was expected,
// run no IPAM (no lease), leave nothing in the pod, on the node or in /dev; DEL afterwards succeeds. The
// daemon, meanwhile, reports the resource's devices Unhealthy instead of crashing.
import assert from "node:assert/strict";
import { expectError, expectSuccess } from "../testing/expect.ts";
import { hostLocalIpam, leaseFiles } from "../testing/host_local.ts";
import { linkNames } from "../testing/pod_view.ts";
import { LOWER_LINK, macvtapConfig } from "../testing/test_node.ts";
import { DaemonNode, RESOURCE } from "../daemon/testing/daemon_node.ts";
import { macvtapsIn, tapExists } from "../testing/leaks.ts";
import { waitFor } from "../testing/wait.ts";
import { isRunning } from "../testing/processes.ts";
import { rootTest } from "../testing/root_gate.ts";

const NETWORK = "fault-lower";

rootTest(
  "lower link deleted between Allocate and ADD: code 100 naming the device, nothing leaks",
  async () => {
    await using node = await DaemonNode.start("flower", { capacity: 4 });
    const allocation = await node.allocate("lower0Mvp2");
    assert.ok(tapExists(allocation.ifindex), "Allocate made /dev/tapN");

    await node.test.node.ip("link", "del", LOWER_LINK);
    await waitFor("the kernel to delete the macvtap with its lower", () => !tapExists(allocation.ifindex));

    const pod = await node.test.attachment();
    const config = macvtapConfig("1.0.0", NETWORK, {
      deviceID: allocation.deviceId,
      ipam: hostLocalIpam(node.test.ipamDataDir, [{ subnet: "10.82.0.0/24" }]),
    });
    const add = await node.test.run("ADD", pod, config);
    expectError(add, "ADD after the lower link vanished", {
      code: 100,
      mentions: [allocation.deviceId, allocation.tempName],
    });
    assert.deepEqual(await linkNames(pod.pod), [], "nothing in the pod");
    assert.deepEqual(await macvtapsIn(node.test.node), [], "no macvtap on the node");
    assert.deepEqual(leaseFiles(node.test.ipamDataDir, NETWORK), [], "IPAM never ran: no lease");
    expectSuccess(await node.test.run("DEL", pod, config), "DEL after the failed ADD");

    await node.kubelet!.waitForDevices(
      RESOURCE,
      "every device Unhealthy once the lower is gone (still listed: capacity stays visible)",
      (d) => d.length === 4 && d.every((device) => device.health === "Unhealthy"),
    );
    assert.ok(
      isRunning(node.daemon.pid),
      `the daemon is still running:
${node.daemon.transcript()}`,
    );
  },
  { sanitizers: false },
);
