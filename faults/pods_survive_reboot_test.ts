// Pods survive a node reboot and a sandbox re-creation. After either, the kubelet starts
// the pod with the DeviceSpec it cached from Allocate (/dev/tapN) and never calls Allocate again, so the
// temp link must come back at the same ifindex. Here, with the real daemon, link broker and CNI:
// - "reboot": the daemon is SIGKILLed and its temp link deleted (nothing survives a reboot); the restarted
//   daemon re-creates the link at its ifindex from its checkpoint, and CNI ADD against the old /dev/tapN
//   works, the pod's macvtap keeping that ifindex;
// - a daemon restart while the pod runs does not make a second macvtap (the pod's one is found through
//   the netns id the node has for the pod, by the broker's listPeerMacvtaps);
// - sandbox re-creation: DEL in the old sandbox deletes the macvtap, the pod still holds the device, the
//   daemon re-creates the link at the same ifindex and ADD into the new sandbox works.
import assert from "node:assert/strict";
import { expectResult, expectSuccess } from "../testing/expect.ts";
import { linkNames } from "../testing/pod_view.ts";
import { type Attachment, macvtapConfig } from "../testing/test_node.ts";
import { PodResourcesDouble } from "../daemon/testing/pod_resources_double.ts";
import { DaemonNode, RESOURCE } from "../daemon/testing/daemon_node.ts";
import { tapExists, tempLinksIn } from "../testing/leaks.ts";
import { waitFor } from "../testing/wait.ts";
import { rootTest } from "../testing/root_gate.ts";

const VERSION = "1.0.0";
const DEVICE = "lower0Mvp1";

rootTest(
  "reboot and sandbox re-creation: the daemon re-creates the temp link at its ifindex; ADD against the old /dev/tapN works",
  async () => {
    await using node = await DaemonNode.start("freboot", {
      capacity: 4,
      daemonArgs: ["--gc-interval", "200ms", "--gc-grace", "1s"],
    });
    const allocation = await node.allocate(DEVICE);
    node.podResources.pods = [PodResourcesDouble.pod("vm-a", RESOURCE, [DEVICE])];
    const tempLink = async () => (await node.test.node.link(allocation.tempName))?.ifindex ?? null;
    const config = macvtapConfig(VERSION, "fault-reboot", { deviceID: DEVICE });

    // The reboot: the daemon dies, and with the node every link it made.
    await node.killDaemon();
    await node.test.node.ip("link", "del", allocation.tempName);
    await waitFor("/dev/tapN to go with the link", () => !tapExists(allocation.ifindex));
    const rebooted = node.spawnDaemon();
    await rebooted.waitForLog("restored", (r) => r.msg.startsWith("re-created the temp link"));
    assert.equal(await tempLink(), allocation.ifindex, "re-created at the ifindex the kubelet holds");
    assert.ok(
      Deno.statSync(`/dev/tap${allocation.ifindex}`).isCharDevice,
      "the cached /dev/tapN exists again",
    );

    const first = await node.test.attachment();
    await addAt(node, first, config, allocation.ifindex, "ADD after the reboot");

    // The daemon restarts while the pod runs: its macvtap is in the pod, nothing is re-created on the node.
    await node.killDaemon();
    const again = node.spawnDaemon();
    await again.waitForLog("started", (r) => r.msg === "daemon started");
    await new Promise((resolve) => setTimeout(resolve, 600)); // a few keeper passes
    assert.deepEqual(await tempLinksIn(node.test.node), [], "no second macvtap for the running pod");

    // The sandbox is re-created: DEL deletes the macvtap in the old one; the pod still holds the device.
    expectSuccess(await node.test.run("DEL", first, config), "DEL of the old sandbox");
    await waitFor("the daemon to re-create the link", async () => await tempLink() === allocation.ifindex);
    const second = await node.test.attachment();
    await addAt(node, second, config, allocation.ifindex, "ADD into the new sandbox");
    expectSuccess(await node.test.run("DEL", second, config), "DEL at the end");
  },
  { sanitizers: false },
);

/** ADD into `pod`; the pod's net1 must be our macvtap at `ifindex`, with /dev/tap<ifindex>. */
async function addAt(
  node: DaemonNode,
  pod: Attachment,
  config: Record<string, unknown>,
  ifindex: number,
  what: string,
): Promise<void> {
  expectResult(await node.test.run("ADD", pod, config), VERSION, what);
  assert.deepEqual(await linkNames(pod.pod), ["net1"], what);
  const net1 = await pod.pod.link("net1");
  assert.equal(net1?.linkinfo?.info_kind, "macvtap", what);
  assert.equal(net1?.ifindex, ifindex, `${what}: the pod's macvtap has the ifindex of the cached /dev/tapN`);
  assert.ok(tapExists(ifindex), `${what}: /dev/tap${ifindex} exists`);
}
