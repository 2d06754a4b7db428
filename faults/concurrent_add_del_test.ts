// A runtime that sends DEL for an attachment while its ADD still runs (a sandbox torn down during start-up,
// a retried request). The CNI spec forbids it ("the container runtime must not invoke parallel operations
// for the same container"), but a node must survive a runtime that does it anyway. Whatever the
// interleaving, the final state must be one a runtime can live with:
//   attached  — net1 is in the pod and CHECK (with the ADD's Result) passes; with IPAM, its lease held;
//   detached  — nothing in the pod, no lease; the macvtap either back on the node under its temp name
//               (with its /dev/tapN) or gone entirely;
// never a half-configured link, never two links, never a lease without a link or a link without a lease.
//
// Three tests: 20 rounds at offsets from DEL 20 ms ahead to 75 ms behind, without IPAM (the link's state);
// and, with host-local behind a gate that holds one call inside its IPAM step, the two interleavings that
// matter for leases, pinned: DEL whole while ADD waits on its IPAM ADD, ADD whole while DEL waits between
// its IPAM DEL and its link deletion. (The offset rounds with host-local hit the second one in most runs,
// so they would only fail at random: the pinned test fails every time instead.)
import assert from "node:assert/strict";
import type { CniResult } from "../testing/expect.ts";
import { describeRun, type PluginRun } from "../testing/plugin_exec.ts";
import { hostLocalIpam, leaseFiles } from "../testing/host_local.ts";
import { linkNames } from "../testing/pod_view.ts";
import {
  type Allocation,
  type Attachment,
  DEBIAN_CNI_DIR,
  macvtapConfig,
  TestNode,
} from "../testing/test_node.ts";
import { tapExists } from "../testing/leaks.ts";
import { waitFor } from "../testing/wait.ts";
import { rootTest } from "../testing/root_gate.ts";
import { pathExists } from "../testing/files.ts";

const ROUNDS = 20;
const VERSION = "1.0.0";
const NETWORK = "fault-add-del";

/** Where one round ended. */
type Outcome = "attached" | "detached, back on node" | "detached, link gone";

interface Round {
  node: TestNode;
  allocation: Allocation;
  pod: Attachment;
  config: Record<string, unknown>;
  /** Whether the config has IPAM (then the lease must follow the link). */
  withIpam: boolean;
}

async function newRound(node: TestNode, i: number, ipam?: Record<string, unknown>): Promise<Round> {
  const allocation = await node.allocate(`raceMvp${i}`);
  const pod = await node.attachment();
  const config = macvtapConfig(VERSION, NETWORK, {
    deviceID: allocation.deviceId,
    ...(ipam ? { ipam } : {}),
  });
  return { node, allocation, pod, config, withIpam: ipam !== undefined };
}

/** DEL starts `offsetMs` after ADD (negative: before); both are awaited. */
async function race(round: Round, offsetMs: number): Promise<{ add: PluginRun; del: PluginRun }> {
  const start = (command: string, delay: number) =>
    new Promise<PluginRun>((resolve, reject) =>
      setTimeout(() => round.node.run(command, round.pod, round.config).then(resolve, reject), delay)
    );
  const [add, del] = await Promise.all([
    start("ADD", Math.max(0, -offsetMs)),
    start("DEL", Math.max(0, offsetMs)),
  ]);
  return { add, del };
}

/** Classifies the final state, failing on any state that is neither attached nor detached. */
async function settle(round: Round, add: PluginRun, del: PluginRun): Promise<Outcome> {
  const context = `ADD: ${describeRun(add)}\nDEL: ${describeRun(del)}`;
  assert.ok(add.code === 0 || isCniError(add), `ADD ended neither in a Result nor a CNI error\n${context}`);
  assert.equal(del.code, 0, `DEL must succeed whatever ADD is doing\n${context}`);
  const inPod = await linkNames(round.pod.pod);
  const leases = leaseFiles(round.node.ipamDataDir, NETWORK);
  const onNode = await round.node.node.link(round.allocation.tempName);
  const state = `pod links [${inPod}], leases [${leases}], temp link on node: ${onNode !== null}`;
  if (inPod.length > 0) {
    assert.deepEqual(inPod, ["net1"], `never two links in the pod: ${state}\n${context}`);
    assert.equal(
      add.code,
      0,
      `net1 is in the pod although ADD failed (half-configured): ${state}\n${context}`,
    );
    assert.equal(onNode, null, `the link is in the pod and on the node: ${state}`);
    if (round.withIpam) assert.equal(leases.length, 1, `attached, so one lease: ${state}\n${context}`);
    const prevResult = add.json as CniResult;
    const check = await round.node.run("CHECK", round.pod, { ...round.config, prevResult });
    assert.equal(
      check.code,
      0,
      `attached but CHECK fails: ${state}\n${context}\nCHECK: ${describeRun(check)}`,
    );
    return "attached";
  }
  assert.deepEqual(leases, [], `detached, so no lease: ${state}\n${context}`);
  assert.equal(tapExists(round.allocation.ifindex), onNode !== null, `/dev/tapN matches the link: ${state}`);
  return onNode !== null ? "detached, back on node" : "detached, link gone";
}

function isCniError(run: PluginRun): boolean {
  const error = run.json as { code?: unknown; msg?: unknown } | null;
  return typeof error?.code === "number" && typeof error.msg === "string";
}

/** The runtime's own clean-up DEL afterwards: succeeds and leaves nothing, not even the temp link. */
async function cleanUp(round: Round): Promise<void> {
  const cleanup = await round.node.run("DEL", round.pod, round.config);
  assert.equal(cleanup.code, 0, describeRun(cleanup));
  assert.deepEqual(await linkNames(round.pod.pod), []);
  assert.deepEqual(leaseFiles(round.node.ipamDataDir, NETWORK), []);
  const { node } = round.node;
  if (await node.link(round.allocation.tempName)) await node.ip("link", "del", round.allocation.tempName);
}

rootTest(
  `concurrent ADD and DEL of one attachment, ${ROUNDS} rounds: attached or fully detached, never half`,
  async () => {
    await using node = await TestNode.create("fcaddel");
    const outcomes: Record<string, number> = {};
    for (let i = 0; i < ROUNDS; i++) {
      const round = await newRound(node, i);
      // From DEL 20 ms ahead to DEL 75 ms behind: an ADD's netlink work sits 40-90 ms after its start.
      const { add, del } = await race(round, -20 + Math.round((95 * i) / (ROUNDS - 1)));
      const outcome = await settle(round, add, del);
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
      await cleanUp(round);
    }
    console.log(`outcomes over ${ROUNDS} rounds: ${JSON.stringify(outcomes)}`);
  },
  { sanitizers: false },
);

/**
 * `<binDir>/gated-host-local`: Debian's host-local, except that for one command (the content of
 * `<binDir>/gated-command`) it marks `<binDir>/gate-reached` once host-local has answered and holds the
 * answer back until the test creates `<binDir>/gate-open` (at most 20 s). It widens — it does not create —
 * a window inside one call, so the test can run the other call whole in it, every time, instead of hoping
 * a random offset lands there.
 */
class HostLocalGate {
  private constructor(private readonly binDir: string) {}

  static async install(binDir: string, command: "ADD" | "DEL"): Promise<HostLocalGate> {
    await Deno.writeTextFile(`${binDir}/gated-command`, command);
    await Deno.writeTextFile(
      `${binDir}/gated-host-local`,
      [
        "#!/bin/sh",
        "# FAULT DOUBLE (faults/concurrent_add_del_test.ts): host-local, held after answering one command.",
        `answer=$(${DEBIAN_CNI_DIR}/host-local)`,
        "status=$?",
        `if [ "$CNI_COMMAND" = "$(cat '${binDir}/gated-command')" ]; then`,
        `  touch '${binDir}/gate-reached'`,
        "  i=0",
        `  while [ ! -e '${binDir}/gate-open' ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i + 1)); done`,
        "fi",
        `printf '%s' "$answer"`,
        "exit $status",
        "",
      ].join("\n"),
      { mode: 0o755 },
    );
    return new HostLocalGate(binDir);
  }

  /** The `ipam` object for host-local behind the gate. */
  ipam(dataDir: string): Record<string, unknown> {
    return { ...hostLocalIpam(dataDir, [{ subnet: "10.80.0.0/24" }]), type: "gated-host-local" };
  }

  async reached(): Promise<void> {
    await waitFor("the gated IPAM call to reach the gate", () => pathExists(`${this.binDir}/gate-reached`));
  }

  open(): Promise<void> {
    return Deno.writeTextFile(`${this.binDir}/gate-open`, "");
  }
}

rootTest("DEL runs whole while ADD waits on its IPAM ADD: the lease follows the link", async () => {
  await using node = await TestNode.create("fcaddelgadd");
  const gate = await HostLocalGate.install(node.binDir, "ADD");
  const round = await newRound(node, 0, gate.ipam(node.ipamDataDir));
  const adding = node.run("ADD", round.pod, round.config);
  await gate.reached();
  const del = await node.run("DEL", round.pod, round.config);
  await gate.open();
  console.log(`outcome: ${await settle(round, await adding, del)}`);
  await cleanUp(round);
}, { sanitizers: false });

rootTest(
  "ADD runs whole while DEL waits between its IPAM DEL and the link: the lease follows the link",
  async () => {
    await using node = await TestNode.create("fcaddelgdel");
    const gate = await HostLocalGate.install(node.binDir, "DEL");
    const round = await newRound(node, 0, gate.ipam(node.ipamDataDir));
    const deleting = node.run("DEL", round.pod, round.config);
    await gate.reached();
    const add = await node.run("ADD", round.pod, round.config);
    await gate.open();
    console.log(`outcome: ${await settle(round, add, await deleting)}`);
    await cleanUp(round);
  },
  { sanitizers: false },
);
