// Every way an ADD with IPAM can fail, and what must be true afterwards (SPEC.md "Delegated plugins": a
// plugin whose later step fails "should execute again with DEL" for its IPAM plugin): the IPAM plugin got its
// DEL, no lease is left, nothing is left in the pod, and the device plugin's temp link is back on the node
// under its temp name with its ifindex (so /dev/tapN still names it).
import { deepEqual, equal } from "node:assert/strict";
import { ensure, expectError, expectResult, expectSuccess } from "../testing/expect.ts";
import type { PluginRun } from "../testing/plugin_exec.ts";
import {
  installPrintingIpam,
  installSleepingIpam,
  scriptIpamCalls,
  scriptIpamStdin,
} from "./doubles/install.ts";
import { hostLocalIpam, leases } from "../testing/host_local.ts";
import { expectBackOnNode, expectEmptyPod } from "../testing/pod_view.ts";
import { rootTest } from "../testing/root_gate.ts";
import { type Allocation, type Attachment, macvtapConfig, TestNode } from "../testing/test_node.ts";
import { CNI_DIST_DIR } from "../tools/build.ts";

const VERSION = "1.0.0";
const NETWORK = "rollback-net";
const HOST_LOCAL = { programs: ["/usr/lib/cni/host-local"] };

/** One pod attachment on a fresh allocation, with host-local over 10.78.0.0/24 unless `ipam` is given. */
async function setUp(node: TestNode, ipam?: Record<string, unknown>) {
  const allocation = await node.allocate("rbMvp0");
  const pod = await node.attachment();
  const config = macvtapConfig(VERSION, NETWORK, {
    deviceID: allocation.deviceId,
    ipam: ipam ?? hostLocalIpam(node.ipamDataDir, [{ subnet: "10.78.0.0/24", gateway: "10.78.0.1" }]),
  });
  return { allocation, pod, config };
}

/** Nothing in the pod, the temp link back on the node, no host-local lease. */
async function expectRolledBack(node: TestNode, allocation: Allocation, pod: Attachment, run: PluginRun) {
  await expectEmptyPod(pod.pod, run);
  await expectBackOnNode(node, allocation, run);
  const left = await leases(node.ipamDataDir, NETWORK);
  ensure(left.length === 0, `host-local still holds ${JSON.stringify(left)}`, run);
}

rootTest(
  "rollback: host-local range exhausted -> its error passes through, nothing moved",
  async () => {
    await using node = await TestNode.create("rbfull");
    const ipam = hostLocalIpam(node.ipamDataDir, [{
      subnet: "10.78.0.0/24",
      rangeStart: "10.78.0.10",
      rangeEnd: "10.78.0.10",
    }]);
    const first = await setUp(node, ipam);
    const firstResult = expectResult(await node.run("ADD", first.pod, first.config), VERSION);

    const second = await node.allocate("rbMvp1");
    const pod = await node.attachment();
    const config = { ...first.config, deviceID: second.deviceId };
    const run = await node.run("ADD", pod, config);
    expectError(run, "ADD when the range is used up", {
      mentions: ["host-local", "no IP addresses available"],
    });
    await expectEmptyPod(pod.pod, run);
    await expectBackOnNode(node, second, run);
    const held = await leases(node.ipamDataDir, NETWORK);
    deepEqual(held.map((l) => [l.ip, l.containerId]), [["10.78.0.10", first.pod.containerId]]);

    expectSuccess(
      await node.run("DEL", first.pod, { ...first.config, prevResult: firstResult }),
      "DEL of the first",
    );
    deepEqual(await leases(node.ipamDataDir, NETWORK), []);
  },
  HOST_LOCAL,
);

rootTest(
  "rollback: mtu above the lower's fails after the move (103) -> lease released, link back",
  async () => {
    await using node = await TestNode.create("rbmtu");
    const { allocation, pod, config } = await setUp(node);
    // Valid config (<= 65535), but the kernel refuses a macvtap MTU above its lower's 1500: EINVAL in the pod.
    const run = await node.run("ADD", pod, { ...config, mtu: 9000 });
    expectError(run, "ADD with mtu 9000 on a 1500 lower", { code: 103 });
    await expectRolledBack(node, allocation, pod, run);
  },
  HOST_LOCAL,
);

rootTest(
  "rollback: /dev/tapN is a planted symlink (102) -> not followed, lease released, link back",
  async () => {
    await using node = await TestNode.create("rbtap");
    const { allocation, pod, config } = await setUp(node);
    // Removing /dev/tapN is not enough: moving the link re-registers it, and devtmpfs makes a fresh node.
    // A node devtmpfs did not make survives the move, so the chown after it meets the symlink.
    const tap = `/dev/tap${allocation.ifindex}`;
    const bait = `${node.workDir}/bait`;
    await Deno.writeTextFile(bait, "must keep its owner");
    await Deno.remove(tap);
    await Deno.symlink(bait, tap);
    try {
      const run = await node.run("ADD", pod, config);
      expectError(run, "ADD with a symlink at /dev/tapN", { code: 102, mentions: [tap] });
      const baitOwner = Deno.statSync(bait);
      ensure(
        baitOwner.uid === 0 && baitOwner.gid === 0,
        `the symlink was followed: bait is ${baitOwner.uid}`,
        run,
      );
      await expectRolledBack(node, allocation, pod, run);
    } finally {
      await Deno.remove(tap);
    }
  },
  HOST_LOCAL,
);

rootTest("rollback: IPAM plugin missing from CNI_PATH (106) -> nothing moved", async () => {
  await using node = await TestNode.create("rbmissing");
  const { allocation, pod, config } = await setUp(node);
  const run = await node.run("ADD", pod, config, { cniPath: `${node.binDir}:${CNI_DIST_DIR}` });
  expectError(run, "ADD whose ipam.type is not in CNI_PATH", {
    code: 106,
    mentions: ["host-local", "CNI_PATH"],
  });
  await expectRolledBack(node, allocation, pod, run);
});

rootTest(
  "rollback: IPAM ADD hangs -> killed at MACVTAP_IPAM_TIMEOUT_MS (106), IPAM DEL sent",
  async () => {
    await using node = await TestNode.create("rbslow");
    await installSleepingIpam(node.binDir, "slow-ipam");
    const { allocation, pod, config } = await setUp(node, { type: "slow-ipam" });
    const run = await node.run("ADD", pod, config, { env: { MACVTAP_IPAM_TIMEOUT_MS: "1000" } });
    expectError(run, "ADD with a hanging IPAM plugin", { code: 106, mentions: ["slow-ipam", "timeout"] });
    // VERSION first: ADD asks the plugin before anything moves (cni-wasm/assembly/cni/ipam.ts checkIpamPlugin).
    deepEqual(await scriptIpamCalls(node.binDir, "slow-ipam"), ["VERSION", "ADD", "DEL"]);
    await expectRolledBack(node, allocation, pod, run);
    const sleeper = Number(await Deno.readTextFile(`${node.binDir}/slow-ipam.pid`));
    ensure(!isAlive(sleeper), `the hanging IPAM plugin (pid ${sleeper}) outlived the ADD`, run);
  },
);

/** [test name part, what the IPAM plugin prints on ADD]. */
const UNUSABLE_ANSWERS: [string, string][] = [
  ["prints garbage", "this is not JSON {"],
  ["returns a result without IPs", JSON.stringify({ cniVersion: VERSION, ips: [] })],
];

for (const [what, answer] of UNUSABLE_ANSWERS) {
  rootTest(`rollback: IPAM ${what} (106) -> IPAM DEL sent, nothing moved`, async () => {
    await using node = await TestNode.create("rbbad");
    await installPrintingIpam(node.binDir, "odd-ipam", answer);
    const { allocation, pod, config } = await setUp(node, { type: "odd-ipam" });
    const run = await node.run("ADD", pod, config);
    expectError(run, `ADD when IPAM ${what}`, { code: 106, mentions: ["odd-ipam"] });
    deepEqual(await scriptIpamCalls(node.binDir, "odd-ipam"), ["VERSION", "ADD", "DEL"]);
    equal(
      await scriptIpamStdin(node.binDir, "odd-ipam", "DEL"),
      run.request.stdin,
      "DEL must get the ADD's config",
    );
    await expectRolledBack(node, allocation, pod, run);
  });
}

function isAlive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return !/^\d+ \([^)]*\) Z/.test(stat); // a zombie has exited
  } catch {
    return false;
  }
}
