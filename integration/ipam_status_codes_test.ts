// STATUS and GC against what IPAM plugins really answer. SPEC.md 1.1.0 STATUS: 50 "the plugin is not
// available (cannot service ADD requests)", 51 "not available, and existing containers in the network may
// have limited connectivity"; a plugin that relies on a delegated plugin executes STATUS on it, and its error
// makes STATUS fail. Debian's host-local 1.1.1 predates 1.1.0: it answers GC and STATUS with code 3 "missing
// containerID" (its skel checks the container ID of verbs it does not know) and refuses ADD of a 1.1.0
// network with code 1. Neither answer may reach the runtime as ours: STATUS says 50 and why (ADD cannot
// succeed), GC succeeds (that plugin holds no lease of a version it refuses).
import { deepEqual, equal } from "node:assert/strict";
import { expectError, expectSuccess } from "../testing/expect.ts";
import type { PluginRun } from "../testing/plugin_exec.ts";
import {
  answeringIpamCalls,
  errorAnswer,
  installAnsweringIpam,
  versionReport,
} from "./doubles/answering_ipam.ts";
import { hostLocalIpam } from "../testing/host_local.ts";
import { rootTest } from "../testing/root_gate.ts";
import { macvtapConfig, TestNode } from "../testing/test_node.ts";

const SPEAKS_1_1 = versionReport(["0.4.0", "1.0.0", "1.1.0"]);

/** STATUS or GC as libcni runs them: only CNI_COMMAND and CNI_PATH carry values. */
function runVerb(node: TestNode, command: string, ipam: Record<string, unknown>): Promise<PluginRun> {
  const config = macvtapConfig("1.1.0", "status-net", { ipam });
  const env = { CNI_COMMAND: command, CNI_PATH: node.cniPath };
  const stdin = command === "GC"
    ? JSON.stringify({ ...config, "cni.dev/valid-attachments": [] })
    : JSON.stringify(config);
  return node.exec(env, stdin);
}

rootTest(
  "Debian host-local 1.1.1: STATUS is 50 (it refuses cniVersion 1.1.0), GC succeeds",
  async () => {
    await using node = await TestNode.create("sthl");
    const ipam = hostLocalIpam(node.ipamDataDir, [{ subnet: "10.79.0.0/24" }]);
    const status = await runVerb(node, "STATUS", ipam);
    const error = expectError(status, "STATUS with host-local 1.1.1", {
      code: 50,
      mentions: [
        "does not speak cniVersion 1.1.0",
        "0.1.0, 0.2.0, 0.3.0, 0.3.1, 0.4.0, 1.0.0",
        "ADD cannot succeed",
      ],
    });
    equal(
      error.details,
      'its STATUS answer: code 3, IPAM plugin "host-local" (STATUS) failed: missing containerID',
    );

    const gc = expectSuccess(await runVerb(node, "GC", ipam), "GC with host-local 1.1.1");
    equal(gc.stdout, "");
    equal(
      gc.stderr,
      'macvtap: GC not forwarded: IPAM plugin "host-local" does not speak cniVersion 1.1.0 (it supports 0.1.0, ' +
        "0.2.0, 0.3.0, 0.3.1, 0.4.0, 1.0.0), so it holds no lease of this network's version and has no GC (it " +
        'answered: IPAM plugin "host-local" (GC) failed: missing containerID)\n',
    );
  },
  { programs: ["/usr/lib/cni/host-local"] },
);

rootTest("IPAM STATUS errors: its 50 and 51 pass as they are, any other failure is 50", async () => {
  await using node = await TestNode.create("stcodes");
  const cases: [string, number, number][] = [
    ["its own 51", 51, 51],
    ["its own 50", 50, 50],
    ["try again later (11)", 11, 50],
    ["an internal error (999)", 999, 50],
  ];
  for (const [what, code, ours] of cases) {
    const name = `status-${code}`;
    await installAnsweringIpam(node.binDir, name, {
      VERSION: SPEAKS_1_1,
      STATUS: errorAnswer(code, "address pool unreachable", "dial tcp 10.0.0.9:443: refused"),
    });
    const run = await runVerb(node, "STATUS", { type: name });
    const error = expectError(run, `STATUS when the IPAM answers ${what}`, {
      code: ours,
      mentions: [`IPAM plugin "${name}" (STATUS) failed: address pool unreachable`],
    });
    const details = ours === code
      ? "dial tcp 10.0.0.9:443: refused"
      : `its answer: code ${code}, dial tcp 10.0.0.9:443: refused`;
    equal(error.details, details, what);
    // Its failure is checked against its VERSION report: it speaks 1.1.0, so the failure is a real one.
    deepEqual(await answeringIpamCalls(node.binDir, name), ["STATUS", "VERSION"]);
  }
});

rootTest(
  "IPAM GC errors pass through; a missing IPAM plugin is 50 for STATUS, its own error for GC",
  async () => {
    await using node = await TestNode.create("stgc");
    await installAnsweringIpam(node.binDir, "gc-fails", {
      VERSION: SPEAKS_1_1,
      GC: errorAnswer(11, "lease store busy"),
    });
    expectError(await runVerb(node, "GC", { type: "gc-fails" }), "GC when the IPAM's GC fails", {
      code: 11,
      mentions: ["lease store busy"],
    });
    expectSuccess(
      await runVerb(node, "STATUS", { type: "gc-fails" }),
      "STATUS when the IPAM's STATUS is fine",
    );

    expectError(await runVerb(node, "STATUS", { type: "not-installed" }), "STATUS, IPAM not in CNI_PATH", {
      code: 50,
      mentions: ['IPAM plugin "not-installed" (STATUS): not found in CNI_PATH'],
    });
    expectError(await runVerb(node, "GC", { type: "not-installed" }), "GC, IPAM not in CNI_PATH", {
      code: 106,
      mentions: ["not found in CNI_PATH"],
    });
  },
);

rootTest("an IPAM plugin whose VERSION lists no 1.1.0: STATUS 50 naming it, GC succeeds", async () => {
  await using node = await TestNode.create("stold");
  await installAnsweringIpam(node.binDir, "old-ipam", {
    VERSION: versionReport(["0.3.1", "0.4.0", "1.0.0"]),
    STATUS: errorAnswer(4, "unknown CNI_COMMAND: STATUS"),
    GC: errorAnswer(4, "unknown CNI_COMMAND: GC"),
  });
  expectError(await runVerb(node, "STATUS", { type: "old-ipam" }), "STATUS", {
    code: 50,
    mentions: ["does not speak cniVersion 1.1.0 (it supports 0.3.1, 0.4.0, 1.0.0)"],
  });
  expectSuccess(await runVerb(node, "GC", { type: "old-ipam" }), "GC");
  deepEqual(await answeringIpamCalls(node.binDir, "old-ipam"), ["STATUS", "VERSION", "GC", "VERSION"]);
});
