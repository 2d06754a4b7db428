// The kubelet goes away under an open ListAndWatch stream (a kubelet crash or upgrade) and comes back later
// with a new kubelet.sock. The daemon must survive the gap — its registration attempts fail for a while —
// and register again as soon as the new socket appears, exactly once, with its full device list; Allocate
// then works through the new kubelet. A second case removes only kubelet.sock while the stream stays
// open (an operator cleaning the directory, a half-finished restart).
import assert from "node:assert/strict";
import { KUBELET_SOCKET_NAME } from "../daemon/kubelet/api_types.ts";
import { DaemonNode, RESOURCE } from "../daemon/testing/daemon_node.ts";
import { tapExists } from "../testing/leaks.ts";
import { waitFor } from "../testing/wait.ts";
import { isRunning } from "../testing/processes.ts";
import { rootTest } from "../testing/root_gate.ts";

const CAPACITY = 4;

/** After a kubelet came back: one registration, the full list, a working Allocate, the daemon alive. */
async function expectServedAgain(node: DaemonNode, deviceId: string): Promise<void> {
  const kubelet = node.kubelet!;
  await node.waitForDevices(CAPACITY);
  const allocation = await node.allocate(deviceId);
  assert.ok(
    tapExists(allocation.ifindex),
    `Allocate through the new kubelet made /dev/tap${allocation.ifindex}`,
  );
  // The stream drop and the kubelet.sock event are one restart: no second registration follows.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  assert.equal(kubelet.registrations.length, 1, "registered once with the new kubelet");
  assert.ok(isRunning(node.daemon.pid), `the daemon still runs:\n${node.daemon.transcript()}`);
}

rootTest(
  "kubelet stopped under an open ListAndWatch, back 4 s later: the daemon re-registers once",
  async () => {
    await using node = await DaemonNode.start("fkubelet", { capacity: CAPACITY });
    const stream = node.kubelet!.plugin(RESOURCE)!;
    await node.stopKubelet();
    await waitFor("the stream to end", () => stream.streamEnded !== null);

    // Long enough for several failed registrations (retries at 0.5, 1, 2 s …).
    await new Promise((resolve) => setTimeout(resolve, 4000));
    assert.ok(
      isRunning(node.daemon.pid),
      `the daemon survives the kubelet's absence:\n${node.daemon.transcript()}`,
    );
    // Logged at warn: a kubelet that is away is expected and retried, not an error.
    await node.daemon.waitForLog(
      "a failed registration while the kubelet is away",
      (r) => r.msg === "cannot serve and register; will retry" && r.level === "warn",
    );

    await node.startKubelet();
    await expectServedAgain(node, "lower0Mvp1");
  },
  { sanitizers: false },
);

rootTest(
  "kubelet.sock deleted while ListAndWatch stays open, then the kubelet restarts: re-registered",
  async () => {
    await using node = await DaemonNode.start("fkubesock", { capacity: CAPACITY });
    const old = node.kubelet!;
    await Deno.remove(`${node.pluginDir}/${KUBELET_SOCKET_NAME}`);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    assert.equal(old.plugin(RESOURCE)?.streamEnded, null, "the open stream survives the unlink");
    assert.ok(isRunning(node.daemon.pid), `the daemon survives the unlink:\n${node.daemon.transcript()}`);
    assert.equal(old.registrations.length, 1, "no registration storm while kubelet.sock is missing");

    await node.stopKubelet();
    await node.startKubelet();
    await expectServedAgain(node, "lower0Mvp2");
  },
  { sanitizers: false },
);
