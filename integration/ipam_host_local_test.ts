// IPAM delegation with Debian's real host-local (SPEC.md "Delegated plugins"): the leased addresses and
// routes end up on the pod-side macvtap, the Result reports them against our interface, DEL releases the
// lease (also with the sandbox gone), CHECK is forwarded to host-local.
import { deepEqual } from "node:assert/strict";
import { type CniResult, ensure, expectError, expectResult, expectSuccess } from "../testing/expect.ts";
import type { PluginRun } from "../testing/plugin_exec.ts";
import { versionHasIpVersion } from "../conformance/harness/profile.ts";
import { deleteNetns, type TestNetns } from "../testing/netns.ts";
import { hostLocalIpam, leases } from "../testing/host_local.ts";
import { configuredRoutes, expectEmptyPod, globalAddresses, tapNode } from "../testing/pod_view.ts";
import { rootTest } from "../testing/root_gate.ts";
import { type Attachment, macvtapConfig, TestNode } from "../testing/test_node.ts";

const NETWORK = "hostlocal-net";
const NEEDS = { programs: ["/usr/lib/cni/host-local"] };
/** Debian's host-local speaks 0.1.0 … 1.0.0; these cover the 0.3.x/0.4.0 and 1.0.0 result shapes. */
const VERSIONS = ["0.3.1", "0.4.0", "1.0.0"];

/** Dual stack, a default route without gw (goes via the range gateway) and one with an explicit gw. */
function dualStackConfig(node: TestNode, version: string, deviceId: string): Record<string, unknown> {
  const ipam = hostLocalIpam(
    node.ipamDataDir,
    [
      { subnet: "10.77.0.0/24", gateway: "10.77.0.1" },
      { subnet: "fd00:77::/64", gateway: "fd00:77::1" },
    ],
    [{ dst: "0.0.0.0/0" }, { dst: "10.99.0.0/16", gw: "10.77.0.254" }, { dst: "::/0" }],
  );
  return macvtapConfig(version, NETWORK, { deviceID: deviceId, ipam });
}

async function expectNoLeases(node: TestNode, what: string): Promise<void> {
  const left = await leases(node.ipamDataDir, NETWORK);
  ensure(left.length === 0, `${what}: host-local still holds ${JSON.stringify(left)}`);
}

/** What the kernel must show in the pod after ADD of {@link dualStackConfig}. */
async function expectDualStackPod(pod: TestNetns): Promise<void> {
  deepEqual((await globalAddresses(pod, "net1")).sort(), ["10.77.0.2/24", "fd00:77::2/64"]);
  deepEqual(await configuredRoutes(pod, "-4"), [
    { dst: "default", gateway: "10.77.0.1", dev: "net1", flags: [] },
    { dst: "10.99.0.0/16", gateway: "10.77.0.254", dev: "net1", flags: [] },
  ]);
  const v6 = (await configuredRoutes(pod, "-6")).map((r) => [r.dst, r.gateway, r.dev]);
  deepEqual(v6, [["default", "fd00:77::1", "net1"]]);
}

/** The Result's ips (pointing at our interface 0, with `version` before 1.0.0) and routes. */
function expectDualStackResult(result: CniResult, version: string, run: PluginRun): void {
  ensure(result.interfaces?.[0]?.name === "net1", "interfaces[0] is not net1", run);
  const family = (v: string) => versionHasIpVersion(version) ? { version: v } : {};
  deepEqual(result.ips, [
    { ...family("4"), address: "10.77.0.2/24", gateway: "10.77.0.1", interface: 0 },
    { ...family("6"), address: "fd00:77::2/64", gateway: "fd00:77::1", interface: 0 },
  ]);
  const routes = [{ dst: "0.0.0.0/0" }, { dst: "10.99.0.0/16", gw: "10.77.0.254" }, { dst: "::/0" }];
  deepEqual(result.routes, routes);
}

for (const version of VERSIONS) {
  rootTest(
    `host-local [${version}]: ADD puts leased IPv4+IPv6 and routes on the pod macvtap`,
    async () => {
      await using node = await TestNode.create("hl");
      const allocation = await node.allocate("hlMvp0");
      const pod = await node.attachment();
      const config = dualStackConfig(node, version, allocation.deviceId);

      const run = await node.run("ADD", pod, config);
      const result = expectResult(run, version);
      await expectDualStackPod(pod.pod);
      expectDualStackResult(result, version, run);
      const held = await leases(node.ipamDataDir, NETWORK);
      deepEqual(held.map((l) => [l.ip, l.containerId, l.ifname]), [
        ["10.77.0.2", pod.containerId, "net1"],
        ["fd00:77::2", pod.containerId, "net1"],
      ]);

      const prevResult = version === "0.3.1" ? {} : { prevResult: result };
      expectSuccess(await node.run("DEL", pod, { ...config, ...prevResult }), "DEL");
      await expectNoLeases(node, "after DEL");
      await expectEmptyPod(pod.pod);
      ensure(tapNode(allocation.ifindex) === null, `/dev/tap${allocation.ifindex} outlived DEL`);
      expectSuccess(await node.run("DEL", pod, { ...config, ...prevResult }), "second DEL");
    },
    NEEDS,
  );
}

for (const version of ["0.4.0", "1.0.0"]) {
  rootTest(
    `host-local [${version}]: CHECK passes after ADD and is forwarded to host-local CHECK`,
    async () => {
      await using node = await TestNode.create("hlchk");
      const allocation = await node.allocate("hlMvp0");
      const pod = await node.attachment();
      const config = dualStackConfig(node, version, allocation.deviceId);
      const result = expectResult(await node.run("ADD", pod, config), version);
      const checked = { ...config, prevResult: result };
      expectSuccess(await node.run("CHECK", pod, checked), "CHECK right after ADD");

      // Only host-local can notice this: the kernel state still matches prevResult exactly.
      await Deno.remove(`${node.ipamDataDir}/${NETWORK}/10.77.0.2`);
      await Deno.remove(`${node.ipamDataDir}/${NETWORK}/fd00:77::2`);
      expectError(await node.run("CHECK", pod, checked), "CHECK after host-local lost the lease", {
        mentions: ["host-local", "Failed to find address"],
      });
      expectSuccess(await node.run("DEL", pod, checked), "DEL");
    },
    NEEDS,
  );
}

/** ADD on a fresh node, then `gone` removes the sandbox or blanks CNI_NETNS before DEL. */
async function delWithoutSandbox(gone: (node: TestNode, pod: Attachment) => Promise<string>): Promise<void> {
  await using node = await TestNode.create("hlgone");
  const allocation = await node.allocate("hlMvp0");
  const pod = await node.attachment();
  const config = dualStackConfig(node, "1.0.0", allocation.deviceId);
  const result = expectResult(await node.run("ADD", pod, config), "1.0.0");
  ensure((await leases(node.ipamDataDir, NETWORK)).length === 2, "ADD leased no addresses");
  const netns = await gone(node, pod);
  const run = await node.run("DEL", pod, { ...config, prevResult: result }, { netns });
  expectSuccess(run, `DEL with CNI_NETNS=${JSON.stringify(netns)}`);
  await expectNoLeases(node, "after DEL without a sandbox");
}

rootTest("host-local: DEL after the pod netns was deleted still releases the lease", async () => {
  await delWithoutSandbox(async (_node, pod) => {
    await deleteNetns(pod.pod.name);
    return pod.pod.path;
  });
}, NEEDS);

rootTest("host-local: DEL with an empty CNI_NETNS still releases the lease", async () => {
  await delWithoutSandbox(async (_node, pod) => {
    // The runtime lost the sandbox; the kernel deleted the macvtap with it.
    await deleteNetns(pod.pod.name);
    return "";
  });
}, NEEDS);
