// The daemon is SIGKILLed (OOM killer, node pressure) while the kubelet has many Allocates in flight: no
// shutdown code runs, temp links it made stay in the host netns, half-done requests may still sit in the
// link broker's stdin. Then it is started again, with stale-link GC on (grace 0 s) and a pod-resources
// stand-in that lists no pods, as after a node drain. Proves:
// - the broker child notices its parent is gone (stdin EOF) and exits: no orphan in the node netns;
// - the new daemon comes up over the dead one's socket and registers again;
// - its GC deletes every temp link the dead one left (and their /dev/tapN), and Allocate works again.
import assert from "node:assert/strict";
import { PodResourcesDouble } from "../daemon/testing/pod_resources_double.ts";
import { ip } from "../testing/netns.ts";
import { DaemonNode, RESOURCE } from "../daemon/testing/daemon_node.ts";
import { tapExists, tempLinksIn } from "../testing/leaks.ts";
import { waitFor } from "../testing/wait.ts";
import { commandLine, isRunning } from "../testing/processes.ts";
import { rootTest } from "../testing/root_gate.ts";

const IN_FLIGHT = 50;

rootTest(
  `daemon SIGKILLed with ${IN_FLIGHT} Allocates in flight, restarted: GC leaves no temp link, no orphan broker`,
  async () => {
    await using node = await DaemonNode.start("fkill", { capacity: IN_FLIGHT });
    const oldBroker = node.brokerPid();
    assert.ok(oldBroker !== null, "the daemon runs a link broker child");
    // The wrapper execs `ip netns exec`, which execs the broker: by its hello, the pid is the broker's.
    assert.match(commandLine(oldBroker), /\/dist\/link-broker$/, "that child is the link broker itself");

    const kubelet = node.kubelet!;
    const allocations = Array.from(
      { length: IN_FLIGHT },
      (_, i) => kubelet.allocate(RESOURCE, [`lower0Mvp${i}`]).then(() => "ok", (e: Error) => e.message),
    );
    // Kill only once the broker is visibly mid-way: some links made, most requests still queued.
    await waitFor(
      "the first temp links of the burst",
      async () => (await tempLinksIn(node.test.node)).length >= 5,
    );
    await node.killDaemon();
    const answers = await Promise.all(allocations);
    const left = await tempLinksIn(node.test.node);
    console.log(
      `killed with ${answers.filter((a) => a === "ok").length}/${IN_FLIGHT} Allocates answered, ` +
        `${left.length} temp links left on the node`,
    );
    assert.ok(answers.some((a) => a !== "ok"), "the kill landed while Allocates were still in flight");

    await waitFor("the orphaned broker to exit", () => !isRunning(oldBroker), {
      describe: () => `pid ${oldBroker} still runs: ${commandLine(oldBroker)}`,
    });
    assert.equal(
      (await ip("netns", "pids", node.test.node.name)).trim(),
      "",
      "no process left in the node netns",
    );

    const restarted = node.spawnDaemon(["--gc-interval", "200ms", "--gc-grace", "0s"]);
    await kubelet.waitForRegistration(RESOURCE, 2);
    await waitFor(
      "the restarted daemon's GC to delete every leftover temp link",
      async () => (await tempLinksIn(node.test.node)).length === 0,
      {
        timeoutMs: 20_000,
        describe: async () => (await tempLinksIn(node.test.node)).map((l) => l.ifname).join(),
      },
    );
    // A deleted link leaves the listing before the kernel's unregister notifiers remove its /dev/tapN
    // (a synchronize_net lies between the two), so the nodes get a moment of their own.
    await waitFor("the leftovers' /dev/tapN to go", () => left.every((link) => !tapExists(link.ifindex)), {
      describe: () =>
        left.filter((link) => tapExists(link.ifindex)).map((l) => `/dev/tap${l.ifindex}`).join(),
    });
    assert.ok(
      restarted.records.some((r) => r.msg === "deleted stale temp link"),
      "the GC did it (not something else)",
    );

    // Held by a pod, as a fresh allocation is: the GC (200 ms, no grace) would otherwise be free to delete
    // it before the check below (the Allocate answer waits for the checkpoint's fdatasync).
    node.podResources.pods = [PodResourcesDouble.pod("vm-after", RESOURCE, ["lower0Mvp0"])];
    const again = await node.allocate("lower0Mvp0");
    assert.ok(tapExists(again.ifindex), "Allocate works after the restart");
    assert.notEqual(node.brokerPid(), oldBroker);
  },
  { sanitizers: false },
);
