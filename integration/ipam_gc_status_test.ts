// GC and STATUS (spec 1.1.0) are delegated to the IPAM plugin (SPEC.md: "Plugins that delegate to IPAM
// MUST also delegate GC and STATUS"): the IPAM plugin, not ours, holds the leases GC must collect. A
// recording IPAM double shows what reaches it; the environment is libcni's for these verbs (only
// CNI_COMMAND and CNI_PATH carry values).
import { deepEqual, equal } from "node:assert/strict";
import { expectResult, expectSuccess } from "../testing/expect.ts";
import { installPrintingIpam, scriptIpamCalls, scriptIpamStdin } from "./doubles/install.ts";
import { rootTest } from "../testing/root_gate.ts";
import { macvtapConfig, TestNode } from "../testing/test_node.ts";

const ANSWER = { cniVersion: "1.1.0", ips: [{ address: "10.60.0.2/24", gateway: "10.60.0.1" }] };

rootTest(
  "GC and STATUS (1.1.0) are forwarded to the IPAM plugin with the runtime's config",
  async () => {
    await using node = await TestNode.create("gcipam");
    await installPrintingIpam(node.binDir, "rec-ipam", JSON.stringify(ANSWER));
    const allocation = await node.allocate("gcMvp0");
    const pod = await node.attachment();
    const config = macvtapConfig("1.1.0", "gc-net", {
      deviceID: allocation.deviceId,
      ipam: { type: "rec-ipam" },
    });
    expectResult(await node.run("ADD", pod, config), "1.1.0");

    const runtimeEnv = (command: string) => ({
      CNI_COMMAND: command,
      CNI_CONTAINERID: "",
      CNI_NETNS: "",
      CNI_IFNAME: "",
      CNI_ARGS: "",
      CNI_PATH: node.cniPath,
    });
    const status = await node.exec(runtimeEnv("STATUS"), JSON.stringify(config));
    expectSuccess(status, "STATUS");
    const valid = [{ containerID: pod.containerId, ifname: pod.ifname }];
    const gc = await node.exec(
      runtimeEnv("GC"),
      JSON.stringify({ ...config, "cni.dev/valid-attachments": valid }),
    );
    expectSuccess(gc, "GC");

    deepEqual(await scriptIpamCalls(node.binDir, "rec-ipam"), ["VERSION", "ADD", "STATUS", "GC"]);
    equal(
      await scriptIpamStdin(node.binDir, "rec-ipam", "GC"),
      gc.request.stdin,
      "GC must reach IPAM unchanged",
    );
    equal(await scriptIpamStdin(node.binDir, "rec-ipam", "STATUS"), status.request.stdin);
  },
);
