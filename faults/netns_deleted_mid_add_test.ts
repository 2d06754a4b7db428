// The pod sandbox is deleted while ADD runs (a pod deleted during start-up, a runtime crash). Two ways to
// hit the window:
// - a race, many times: `ip netns del` of the pod started at offsets spread over the ADD's whole run, so
//   it lands before the plugin opens the netns, while it works inside, and after;
// - pinned: an IPAM wrapper deletes the pod's netns while the plugin holds it open, every time (IPAM runs
//   after the link moved into the pod and before it is configured there).
// Either way: ADD succeeds or fails with a CNI error; once the kernel has destroyed the netns, no macvtap
// with the device's ifindex exists anywhere (its /dev/tapN is global, so it would show), except the temp
// link back on the node; DEL with the vanished CNI_NETNS succeeds and releases the lease.
import assert from "node:assert/strict";
import { describeRun, type PluginRun } from "../testing/plugin_exec.ts";
import { hostLocalIpam, leaseFiles } from "../testing/host_local.ts";
import { type Allocation, DEBIAN_CNI_DIR, macvtapConfig, TestNode } from "../testing/test_node.ts";
import { deleteNetns, type TestNetns } from "../testing/netns.ts";
import { tapExists } from "../testing/leaks.ts";
import { waitFor } from "../testing/wait.ts";
import { rootTest } from "../testing/root_gate.ts";

const ATTEMPTS = 40;
/** DEL offsets run from 0 to this (ms after the ADD's exec): past a typical ADD with host-local. */
const LAST_OFFSET_MS = 160;
const VERSION = "1.0.0";
const NETWORK = "fault-netns";

/** What one attempt saw. */
type Outcome = "ADD failed, link back on node" | "ADD failed, link gone" | "ADD succeeded, link gone";

/** Checks the state after ADD and the netns deletion, runs the DEL, and names what happened. */
async function verify(
  node: TestNode,
  allocation: Allocation,
  pod: TestNetns,
  add: PluginRun,
  config: Record<string, unknown>,
): Promise<Outcome> {
  const error = add.json as { code?: unknown } | null;
  assert.ok(add.code === 0 || typeof error?.code === "number", `ADD crashed: ${describeRun(add)}`);
  const backOnNode = async () => (await node.node.link(allocation.tempName)) !== null;
  // The netns dies in a kernel workqueue once the plugin's last handle on it closes: wait for that.
  await waitFor(
    `/dev/tap${allocation.ifindex} to name only the temp link on the node, if anything`,
    async () => tapExists(allocation.ifindex) === await backOnNode(),
    { describe: async () => `tap exists ${tapExists(allocation.ifindex)}, on node ${await backOnNode()}` },
  );
  const back = await backOnNode();
  assert.ok(
    !(add.code === 0 && back),
    `ADD succeeded but the link is still on the node: ${describeRun(add)}`,
  );
  const attachment = { containerId: add.request.env.CNI_CONTAINERID!, ifname: "net1", pod };
  const del = await node.run("DEL", attachment, config);
  assert.equal(del.code, 0, `DEL after the netns vanished: ${describeRun(del)}`);
  assert.deepEqual(leaseFiles(node.ipamDataDir, NETWORK), [], "DEL released the lease");
  if (back) await node.node.ip("link", "del", allocation.tempName);
  if (add.code === 0) return "ADD succeeded, link gone";
  return back ? "ADD failed, link back on node" : "ADD failed, link gone";
}

rootTest(
  `pod netns deleted racing ADD, ${ATTEMPTS} attempts: clean success or failure, no macvtap left`,
  async () => {
    await using node = await TestNode.create("fnetns");
    const ipam = hostLocalIpam(node.ipamDataDir, [{ subnet: "10.81.0.0/24" }]);
    const outcomes: Record<string, number> = {};
    for (let i = 0; i < ATTEMPTS; i++) {
      const allocation = await node.allocate(`nsMvp${i}`);
      const attachment = await node.attachment();
      const config = macvtapConfig(VERSION, NETWORK, { deviceID: allocation.deviceId, ipam });
      const offset = Math.round((LAST_OFFSET_MS * i) / (ATTEMPTS - 1));
      const adding = node.run("ADD", attachment, config);
      await new Promise((resolve) => setTimeout(resolve, offset));
      await deleteNetns(attachment.pod.name);
      const outcome = await verify(node, allocation, attachment.pod, await adding, config);
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    }
    console.log(`outcomes over ${ATTEMPTS} attempts: ${JSON.stringify(outcomes)}`);
  },
  { sanitizers: false },
);

/**
 * `<binDir>/netns-deleting-host-local`: Debian's host-local, which after leasing on ADD deletes the netns
 * named in `<binDir>/victim` (`ip netns del`: unmount and unlink; the plugin's open handle keeps the
 * namespace alive until it exits).
 */
async function installNetnsDeletingIpam(binDir: string): Promise<string> {
  const victim = `${binDir}/victim`;
  await Deno.writeTextFile(
    `${binDir}/netns-deleting-host-local`,
    [
      "#!/bin/sh",
      "# FAULT DOUBLE (faults/netns_deleted_mid_add_test.ts): host-local that deletes the pod's netns on ADD.",
      `answer=$(${DEBIAN_CNI_DIR}/host-local)`,
      "status=$?",
      `[ "$CNI_COMMAND" = ADD ] && ip netns del "$(cat '${victim}')"`,
      `printf '%s' "$answer"`,
      "exit $status",
      "",
    ].join("\n"),
    { mode: 0o755 },
  );
  return victim;
}

rootTest(
  "pod netns deleted while the plugin holds it (during IPAM): clean outcome, no macvtap left",
  async () => {
    await using node = await TestNode.create("fnetnspin");
    const victim = await installNetnsDeletingIpam(node.binDir);
    const ipam = {
      ...hostLocalIpam(node.ipamDataDir, [{ subnet: "10.81.0.0/24" }]),
      type: "netns-deleting-host-local",
    };
    const allocation = await node.allocate("nsMvp0");
    const attachment = await node.attachment();
    await Deno.writeTextFile(victim, attachment.pod.name);
    const config = macvtapConfig(VERSION, NETWORK, { deviceID: allocation.deviceId, ipam });
    const add = await node.run("ADD", attachment, config);
    await assert.rejects(Deno.stat(attachment.pod.path), Deno.errors.NotFound, "the IPAM wrapper deleted it");
    console.log(`outcome: ${await verify(node, allocation, attachment.pod, add, config)}`);
  },
  { sanitizers: false },
);
