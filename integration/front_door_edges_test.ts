// The built plugin at the edges of its input, in throwaway netns:
// - "mtu": 0 (kubevirt/macvtap-cni's and Go's "not set") on ADD and DEL;
// - cniVersion 0.1.0/0.2.0: through real libcni with Debian host-local the Result is the ip4/dns shape and
//   the lease is on the pod link; without IPAM, ADD is code 1 before anything moves; DEL always succeeds;
// - CNI_IFNAME "net%d" (a kernel name pattern: the move would name the link net0): ADD and CHECK refuse it
//   with code 4 and nothing moves; DEL of it succeeds, touching nothing;
// - a config over the 4 MiB stdin limit: code 6 naming the limit, nothing moves.
import { deepEqual, equal } from "node:assert/strict";
import { ensure, expectError, expectResult, expectSuccess } from "../testing/expect.ts";
import { runDriver } from "../conformance/harness/libcni.ts";
import { hostLocalIpam, leases } from "../testing/host_local.ts";
import { expectBackOnNode, expectEmptyPod, globalAddresses } from "../testing/pod_view.ts";
import { rootTest } from "../testing/root_gate.ts";
import { DEBIAN_CNI_DIR, macvtapConfig, TestNode } from "../testing/test_node.ts";
import { CNI_DIST_DIR } from "../tools/build.ts";

rootTest('"mtu": 0 means not set: ADD keeps the lower\'s MTU, DEL succeeds', async () => {
  await using node = await TestNode.create("mtu0");
  const allocation = await node.allocate("mtuMvp0");
  const pod = await node.attachment();
  const config = macvtapConfig("1.0.0", "mtu0-net", { deviceID: allocation.deviceId, mtu: 0 });
  const result = expectResult(await node.run("ADD", pod, config), "1.0.0");
  equal((await pod.pod.link("net1"))?.mtu, 1500);
  equal(result.interfaces?.[0]?.name, "net1");
  expectSuccess(await node.run("DEL", pod, { ...config, prevResult: result }), "DEL with mtu 0");
  await expectEmptyPod(pod.pod);
});

rootTest(
  "cniVersion 0.2.0 through libcni + Debian host-local: ip4/dns Result, lease on the pod link",
  async () => {
    await using node = await TestNode.create("v020");
    const allocation = await node.allocate("oldMvp0");
    const pod = await node.attachment();
    const ipam = hostLocalIpam(node.ipamDataDir, [{ subnet: "10.76.0.0/24", gateway: "10.76.0.1" }], [
      { dst: "10.98.0.0/16" },
    ]);
    const conflist = {
      cniVersion: "0.2.0",
      name: "v020-net",
      plugins: [{ type: "macvtap", deviceID: allocation.deviceId, ipam }],
    };
    const cacheDir = `${node.workDir}/libcni-cache`;
    const base = {
      pluginDirs: [CNI_DIST_DIR, DEBIAN_CNI_DIR],
      cacheDir,
      conflist,
      containerID: pod.containerId,
      netns: pod.pod.path,
      ifname: pod.ifname,
    };
    const added = await runDriver(node.node, { ...base, op: "add" });
    ensure(added.ok, `libcni ADD at 0.2.0: ${JSON.stringify(added.error)}`);
    deepEqual(added.result, {
      cniVersion: "0.2.0",
      ip4: { ip: "10.76.0.2/24", gateway: "10.76.0.1", routes: [{ dst: "10.98.0.0/16" }] },
      dns: {},
    });
    deepEqual(await globalAddresses(pod.pod, "net1"), ["10.76.0.2/24"]);
    const deleted = await runDriver(node.node, { ...base, op: "del" });
    ensure(deleted.ok, `libcni DEL at 0.2.0: ${JSON.stringify(deleted.error)}`);
    await expectEmptyPod(pod.pod);
    deepEqual(await leases(node.ipamDataDir, "v020-net"), []);
  },
  { programs: ["/usr/lib/cni/host-local"] },
);

rootTest(
  "cniVersion 0.1.0/0.2.0 without IPAM: ADD is code 1 and nothing moves; DEL succeeds",
  async () => {
    await using node = await TestNode.create("v010");
    for (const version of ["0.1.0", "0.2.0"]) {
      const allocation = await node.allocate(`old${version.replaceAll(".", "")}Mvp0`);
      const pod = await node.attachment();
      const config = macvtapConfig(version, "old-net", { deviceID: allocation.deviceId });
      const run = await node.run("ADD", pod, config);
      expectError(run, `ADD at ${version}`, { code: 1, mentions: ['no "ipam"', "0.3.0 or later"] });
      equal((run.json as { cniVersion: string }).cniVersion, version);
      await expectBackOnNode(node, allocation, run);
      await expectEmptyPod(pod.pod, run);
      expectSuccess(await node.run("DEL", pod, config), `DEL at ${version}`);
      const version010 = await node.exec({ CNI_COMMAND: "VERSION" }, JSON.stringify({ cniVersion: version }));
      deepEqual((version010.json as { supportedVersions: string[] }).supportedVersions.slice(0, 2), [
        "0.1.0",
        "0.2.0",
      ]);
    }
  },
);

rootTest('CNI_IFNAME "net%d": ADD and CHECK are code 4 and nothing moves; DEL succeeds', async () => {
  await using node = await TestNode.create("ifpct");
  const allocation = await node.allocate("pctMvp0");
  const pod = await node.attachment("net%d");
  const config = macvtapConfig("1.0.0", "pct-net", { deviceID: allocation.deviceId });
  for (const command of ["ADD", "CHECK"]) {
    const run = await node.run(command, pod, command === "CHECK" ? { ...config, prevResult: {} } : config);
    expectError(run, `${command} with net%d`, { code: 4, mentions: ['"net%d"', "name pattern"] });
    await expectBackOnNode(node, allocation, run);
    await expectEmptyPod(pod.pod, run);
  }
  const del = expectSuccess(await node.run("DEL", pod, config), "DEL with net%d");
  equal(del.stdout, "");
  ensure(del.stderr.includes("DEL has nothing to do"), `DEL's note on stderr: ${del.stderr}`, del);
  await expectBackOnNode(node, allocation, del);
});

rootTest("a config over the 4 MiB stdin limit: code 6 naming the limit, nothing moves", async () => {
  await using node = await TestNode.create("bigin");
  const allocation = await node.allocate("bigMvp0");
  const pod = await node.attachment();
  const config = macvtapConfig("1.0.0", "big-net", {
    deviceID: allocation.deviceId,
    pad: "x".repeat(4 << 20),
  });
  const run = await node.run("ADD", pod, config);
  expectError(run, "ADD with a 4 MiB + config", {
    code: 6,
    mentions: ["larger than the limit of 4194304 bytes"],
  });
  await expectBackOnNode(node, allocation, run);
  await expectEmptyPod(pod.pod, run);
  const exact = JSON.stringify(macvtapConfig("1.0.0", "big-net", { deviceID: allocation.deviceId, pad: "" }));
  const fits = { ...JSON.parse(exact), pad: "x".repeat((4 << 20) - exact.length) };
  equal(JSON.stringify(fits).length, 4 << 20);
  const atLimit = await node.run("DEL", pod, fits);
  expectSuccess(atLimit, "DEL with a config of exactly 4 MiB");
});
