// Multus replay (k8snetworkplumbingwg/multus-cni pkg/types/conf.go, kubevirt/kubevirt's macvtap binding):
// every request here is built by harness/multus.ts the way Multus builds it for a NAD with
// k8s.v1.cni.cncf.io/resourceName, then run against the built plugin in throwaway netns. Each test names the
// Multus / KubeVirt behaviour it mirrors.
import { deepEqual, equal } from "node:assert/strict";
import { type CniResult, ensure, expectResult, expectSuccess } from "../testing/expect.ts";
import { hostLocalIpam, leases } from "../testing/host_local.ts";
import {
  type DelegateRequest,
  kubevirtPodIfname,
  multusDelegate,
  type Nad,
  networkStatuses,
  type PodSandbox,
} from "./harness/multus.ts";
import {
  expectBackOnNode,
  expectEmptyPod,
  globalAddresses,
  linkNames,
  tapNode,
} from "../testing/pod_view.ts";
import { rootTest } from "../testing/root_gate.ts";
import { TestNode } from "../testing/test_node.ts";

const KUBEMACPOOL_MAC = "02:00:00:5e:10:01";
const STATIC = { programs: ["/usr/lib/cni/static"] };
const HOST_LOCAL = { programs: ["/usr/lib/cni/host-local"] };

async function newPod(node: TestNode, name = "virt-launcher-vm-a-x7k2p"): Promise<PodSandbox> {
  return {
    namespace: "vms",
    name,
    uid: crypto.randomUUID(),
    sandboxId: crypto.randomUUID().replaceAll("-", ""),
    netns: await node.newPod(),
  };
}

function exec(node: TestNode, command: string, request: DelegateRequest, config = request.config) {
  const attachment = { containerId: request.containerId, ifname: request.ifname, pod: request.netns };
  return node.run(command, attachment, config, {
    cniArgs: command === "ADD" ? request.addArgs : request.delArgs,
  });
}

/** Multus DEL of a single-plugin NAD: libcni DelNetwork sends the cached ADD result from 0.4.0 on. */
function multusDel(node: TestNode, request: DelegateRequest, cached?: CniResult) {
  const version = String(request.config.cniVersion);
  const prevResult = cached && version !== "0.3.1" && version !== "0.3.0" ? { prevResult: cached } : {};
  return exec(node, "DEL", request, { ...request.config, ...prevResult });
}

rootTest(
  "Multus + KubeVirt: VM network on kubevirt/macvtap-cni's NAD (0.3.1), MAC from CNI_ARGS",
  async () => {
    await using node = await TestNode.create("mkv");
    // The NAD of kubevirt/macvtap-cni's README: no capabilities, so kubemacpool's MAC arrives only as MAC=.
    const nad: Nad = {
      name: "dataplane",
      namespace: "vms",
      config: { cniVersion: "0.3.1", name: "dataplane", type: "macvtap", mtu: 1500 },
    };
    const allocation = await node.allocate("dataplaneMvp0");
    const pod = await newPod(node);
    const ifname = await kubevirtPodIfname("dataplane");
    const request = multusDelegate(
      pod,
      nad,
      { interface: ifname, mac: KUBEMACPOOL_MAC },
      1,
      allocation.deviceId,
    );
    ensure(request.config.runtimeConfig === undefined, "Multus sends no runtimeConfig without capabilities");

    const run = await exec(node, "ADD", request);
    const result = expectResult(run, "0.3.1");
    const link = await pod.netns.link(ifname);
    ensure(link, `no ${ifname} in the pod`, run);
    equal(link.address, KUBEMACPOOL_MAC, "guest MAC and macvtap MAC must agree (kubemacpool)");
    equal(link.ifindex, allocation.ifindex, "the pod link must keep the ifindex of /dev/tapN");
    deepEqual(tapNode(allocation.ifindex), { uid: 107, gid: 107, mode: 0o600 });
    // What virt-launcher finds in the network-status annotation.
    deepEqual(networkStatuses("vms/dataplane", result), [
      { name: "vms/dataplane", interface: ifname, mac: KUBEMACPOOL_MAC, ips: [] },
    ]);

    expectSuccess(await multusDel(node, request, result), "Multus DEL");
    await expectEmptyPod(pod.netns);
    equal(tapNode(allocation.ifindex), null, "/dev/tapN outlived DEL");
  },
);

rootTest(
  "Multus: NAD with capabilities mac/deviceID/CNIDeviceInfoFile, static IPAM from IP=, args.cni, CHECK",
  async () => {
    await using node = await TestNode.create("mcap");
    const nad: Nad = {
      name: "tenant-a",
      namespace: "vms",
      config: {
        cniVersion: "1.0.0",
        type: "macvtap",
        capabilities: { mac: true, deviceID: true, CNIDeviceInfoFile: true },
        ipam: { type: "static" },
      },
    };
    const allocation = await node.allocate("tenantMvp0");
    const pod = await newPod(node, "web-0");
    const selection = {
      mac: KUBEMACPOOL_MAC,
      ips: ["192.0.2.10/24"],
      cniArgs: { requestedBy: "integration" },
    };
    const request = multusDelegate(pod, nad, selection, 1, allocation.deviceId);
    deepEqual(Object.keys(request.config.runtimeConfig as object).sort(), [
      "CNIDeviceInfoFile",
      "deviceID",
      "mac",
    ]);

    const run = await exec(node, "ADD", request);
    const result = expectResult(run, "1.0.0");
    equal((await pod.netns.link("net1"))?.address, KUBEMACPOOL_MAC);
    deepEqual(await globalAddresses(pod.netns, "net1"), ["192.0.2.10/24"]);
    deepEqual(networkStatuses("vms/tenant-a", result), [
      { name: "vms/tenant-a", interface: "net1", mac: KUBEMACPOOL_MAC, ips: ["192.0.2.10"] },
    ]);
    const cached = { ...request.config, prevResult: result };
    expectSuccess(await exec(node, "CHECK", request, cached), "Multus CHECK with the cached result");
    expectSuccess(await multusDel(node, request, result), "Multus DEL");
    await expectEmptyPod(pod.netns);
  },
  STATIC,
);

rootTest(
  "Multus: NAD with the ips capability, static IPAM gets runtimeConfig.ips and IP= both",
  async () => {
    await using node = await TestNode.create("mips");
    const nad: Nad = {
      name: "tenant-b",
      namespace: "vms",
      config: { cniVersion: "1.0.0", type: "macvtap", capabilities: { ips: true }, ipam: { type: "static" } },
    };
    const allocation = await node.allocate("tenantMvp1");
    const pod = await newPod(node, "web-1");
    const request = multusDelegate(pod, nad, { ips: ["192.0.2.11/24"] }, 1, allocation.deviceId);
    const run = await exec(node, "ADD", request);
    const result = expectResult(run, "1.0.0");
    // static appends the address once per source; the pod still holds it once.
    deepEqual(await globalAddresses(pod.netns, "net1"), ["192.0.2.11/24"]);
    expectSuccess(await exec(node, "CHECK", request, { ...request.config, prevResult: result }), "CHECK");
    expectSuccess(await multusDel(node, request, result), "Multus DEL");
  },
  STATIC,
);

/** Two networks of one NAD (one resource) in one pod, as Multus attaches them: net1, net2. */
async function twoAttachments(node: TestNode) {
  const nad: Nad = {
    name: "storage",
    namespace: "vms",
    config: {
      cniVersion: "1.0.0",
      name: "storage",
      type: "macvtap",
      ipam: hostLocalIpam(node.ipamDataDir, [{ subnet: "198.51.100.0/24", gateway: "198.51.100.1" }]),
    },
  };
  // The kubelet allocated two devices of the resource; Multus hands them out in order (resourceMap index).
  const allocations = [await node.allocate("storageMvp0"), await node.allocate("storageMvp1")];
  const pod = await newPod(node);
  const requests = allocations.map((a, i) => multusDelegate(pod, nad, {}, i + 1, a.deviceId));
  return { nad, allocations, pod, requests };
}

rootTest(
  "Multus: two attachments of one resource get the device IDs in order; DEL in reverse",
  async () => {
    await using node = await TestNode.create("mtwo");
    const { allocations, pod, requests } = await twoAttachments(node);
    const results: CniResult[] = [];
    for (const request of requests) results.push(expectResult(await exec(node, "ADD", request), "1.0.0"));
    for (const [i, ifname] of ["net1", "net2"].entries()) {
      equal((await pod.netns.link(ifname))?.ifindex, allocations[i]!.ifindex, `${ifname} is not device ${i}`);
      deepEqual(tapNode(allocations[i]!.ifindex), { uid: 107, gid: 107, mode: 0o600 });
    }
    deepEqual((await leases(node.ipamDataDir, "storage")).map((l) => l.ifname).sort(), ["net1", "net2"]);

    for (const i of [1, 0]) {
      expectSuccess(await multusDel(node, requests[i]!, results[i]), `DEL of net${i + 1}`);
      equal(await pod.netns.link(`net${i + 1}`), null, `net${i + 1} outlived its DEL`);
      equal(tapNode(allocations[i]!.ifindex), null, `/dev/tap${allocations[i]!.ifindex} outlived its DEL`);
    }
    deepEqual(await leases(node.ipamDataDir, "storage"), []);
  },
  HOST_LOCAL,
);

rootTest(
  "Multus: the second ADD fails -> delPlugins DELs it (no cached result), then the first",
  async () => {
    await using node = await TestNode.create("mfail");
    const { allocations, pod, requests } = await twoAttachments(node);
    // A NAD mistake Multus cannot see: an MTU above the lower link's. The plugin fails after IPAM and the move.
    requests[1]!.config.mtu = 9000;
    const first = expectResult(await exec(node, "ADD", requests[0]!), "1.0.0");
    const failed = await exec(node, "ADD", requests[1]!);
    ensure(failed.code !== 0, "ADD with mtu 9000 on a 1500 lower succeeded", failed);

    // multus.go CmdAdd → delPlugins(…, idx): the failed delegate first (nothing cached for it), then back to 0.
    expectSuccess(await multusDel(node, requests[1]!), "DEL of the failed delegate");
    expectSuccess(await multusDel(node, requests[0]!, first), "DEL of the first delegate");
    await expectEmptyPod(pod.netns);
    deepEqual(await leases(node.ipamDataDir, "storage"), []);
    await expectBackOnNode(node, allocations[1]!, failed);
  },
  HOST_LOCAL,
);

rootTest(
  "Multus: DEL with the cached config after the sandbox netns is gone, in reverse order",
  async () => {
    await using node = await TestNode.create("mgone");
    const { pod, requests } = await twoAttachments(node);
    const results: CniResult[] = [];
    for (const request of requests) results.push(expectResult(await exec(node, "ADD", request), "1.0.0"));
    await deleteSandbox(pod);
    for (const i of [1, 0]) {
      expectSuccess(
        await multusDel(node, requests[i]!, results[i]),
        `DEL of net${i + 1}`,
      );
    }
    deepEqual(await leases(node.ipamDataDir, "storage"), []);
    deepEqual(await linkNames(node.node), ["lower0"], "the node holds nothing but its lower link");
  },
  HOST_LOCAL,
);

/** The runtime tore the sandbox down before Multus' DEL (kubelet GC after a node reboot, for example). */
async function deleteSandbox(pod: PodSandbox): Promise<void> {
  await pod.netns[Symbol.asyncDispose]();
}
