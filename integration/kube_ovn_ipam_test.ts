// kube-ovn as the IPAM plugin (as coldzerofear/macvtap-cni, the fork, uses it: pkg/cni/plugin.go), driven
// with a TEST DOUBLE of the kube-ovn binary (doubles/kube_ovn_ipam_double.ts) and requests replayed as Multus
// makes them: the MAC kube-ovn reserved for the pod wins over every other MAC source, kube-ovn gets the whole
// config and the pod's K8S_POD_* args, its code 11 reaches the runtime unchanged, and DEL/CHECK are forwarded
// to it.
import { deepEqual, equal } from "node:assert/strict";
import { ensure, expectError, expectResult, expectSuccess } from "../testing/expect.ts";
import { PLUGIN_PATH } from "../testing/plugin_exec.ts";
import { deleteNetns } from "../testing/netns.ts";
import type { KubeOvnPlan } from "./doubles/kube_ovn_ipam_double.ts";
import { installKubeOvnDouble, kubeOvnCalls } from "./doubles/install.ts";
import { type DelegateRequest, multusDelegate, type Nad, type PodSandbox } from "./harness/multus.ts";
import { configuredRoutes, expectBackOnNode, expectEmptyPod, globalAddresses } from "../testing/pod_view.ts";
import { rootTest } from "../testing/root_gate.ts";
import { type Allocation, type ExecOptions, TestNode } from "../testing/test_node.ts";

const RESERVED_MAC = "00:00:00:4b:0e:01";
const KUBEMACPOOL_MAC = "02:00:00:00:0b:02";
const CONFIG_MAC = "02:00:00:00:0c:03";

/** kube-ovn's answer for a dual-stack subnet with DNS. */
const DUAL_STACK: KubeOvnPlan = {
  allocation: {
    mac: RESERVED_MAC,
    ipv4: { address: "10.16.0.5/16", gateway: "10.16.0.1" },
    ipv6: { address: "fd00:10:16::5/64", gateway: "fd00:10:16::1" },
    dns: { nameservers: ["10.96.0.10"], search: ["default.svc.cluster.local"] },
  },
};

/** The fork's NAD example: macvtap with kube-ovn IPAM, provider = <nad>.<namespace>. */
function kubeOvnNad(cniVersion: string, extra: Record<string, unknown> = {}): Nad {
  return {
    name: "p4p1",
    namespace: "default",
    config: {
      cniVersion,
      name: "p4p1",
      type: "macvtap",
      mtu: 1500,
      promiscMode: true,
      ipam: {
        type: "kube-ovn",
        server_socket: "/run/openvswitch/kube-ovn-daemon.sock",
        provider: "p4p1.default",
      },
      ...extra,
    },
  };
}

/** A node with one allocated device, the double installed with `plan`, and a pod to attach. */
async function setUp(node: TestNode, plan: KubeOvnPlan) {
  await installKubeOvnDouble(node.binDir, plan);
  const allocation = await node.allocate("p4p1Mvp0");
  const pod: PodSandbox = {
    namespace: "default",
    name: "virt-launcher-vm-a-x7k2p",
    uid: crypto.randomUUID(),
    sandboxId: crypto.randomUUID().replaceAll("-", ""),
    netns: await node.newPod(),
  };
  return { allocation, pod };
}

function runDelegate(
  node: TestNode,
  command: string,
  request: DelegateRequest,
  config: Record<string, unknown> = request.config,
  options: ExecOptions = {},
) {
  const attachment = { containerId: request.containerId, ifname: request.ifname, pod: request.netns };
  const cniArgs = command === "ADD" ? request.addArgs : request.delArgs;
  return node.run(command, attachment, config, { cniArgs, ...options });
}

rootTest(
  "kube-ovn double: the MAC kube-ovn reserved wins over kubemacpool's and the NAD's",
  async () => {
    await using node = await TestNode.create("kovnmac");
    const { allocation, pod } = await setUp(node, DUAL_STACK);
    const nad = kubeOvnNad("0.3.1", { mac: CONFIG_MAC, capabilities: { mac: true } });
    // kubemacpool's MAC reaches the plugin twice: runtimeConfig.mac (capability) and CNI_ARGS MAC=.
    const request = multusDelegate(pod, nad, { mac: KUBEMACPOOL_MAC }, 1, allocation.deviceId);
    const run = await runDelegate(node, "ADD", request);
    const result = expectResult(run, "0.3.1");

    const link = await pod.netns.link("net1");
    ensure(link, "no net1 in the pod", run);
    equal(link.address, RESERVED_MAC);
    equal(result.interfaces?.[0]?.mac, RESERVED_MAC);
    ensure(link.promiscuity > 0, "promiscMode was not applied", run);
    deepEqual((await globalAddresses(pod.netns, "net1")).sort(), ["10.16.0.5/16", "fd00:10:16::5/64"]);
    deepEqual((await configuredRoutes(pod.netns, "-4")).map((r) => [r.dst, r.gateway]), [[
      "default",
      "10.16.0.1",
    ]]);
    deepEqual((await configuredRoutes(pod.netns, "-6")).map((r) => [r.dst, r.gateway]), [[
      "default",
      "fd00:10:16::1",
    ]]);
    deepEqual(result.ips, [
      { version: "4", address: "10.16.0.5/16", gateway: "10.16.0.1", interface: 0 },
      { version: "6", address: "fd00:10:16::5/64", gateway: "fd00:10:16::1", interface: 0 },
    ]);
    deepEqual(result.dns, DUAL_STACK.allocation!.dns);
  },
);

rootTest(
  "kube-ovn double: it gets the full config, the runtime's whole environment and the pod's K8S_POD_* args",
  async () => {
    await using node = await TestNode.create("kovnenv");
    const { allocation, pod } = await setUp(node, DUAL_STACK);
    const request = multusDelegate(pod, kubeOvnNad("1.0.0"), {}, 1, allocation.deviceId);
    // Multus runs in a pod: its environment holds the service variables, KUBECONFIG, proxies and libcni's
    // cache dir, which real IPAM plugins rely on (SPEC.md: a delegated plugin gets the same environment).
    const runtimeOwn = {
      KUBERNETES_SERVICE_HOST: "10.96.0.1",
      KUBERNETES_SERVICE_PORT: "443",
      KUBECONFIG: "/etc/cni/net.d/multus.d/multus.kubeconfig",
      HTTP_PROXY: "http://proxy.example:3128",
      HTTPS_PROXY: "http://proxy.example:3128",
      NO_PROXY: "10.96.0.0/12,.svc,.cluster.local",
      http_proxy: "http://proxy.example:3128",
      no_proxy: "10.96.0.0/12",
      CNI_CACHE_DIR: "/var/lib/cni/cache",
    };
    const run = await runDelegate(node, "ADD", request, request.config, { env: runtimeOwn });
    expectResult(run, "1.0.0");
    expectSuccess(await runDelegate(node, "DEL", request, request.config, { env: runtimeOwn }), "DEL");

    const calls = await kubeOvnCalls(node.binDir);
    // VERSION first: ADD asks the IPAM plugin before anything moves (cni-wasm/assembly/cni/ipam.ts).
    // DEL releases before deleting the link and once more after it (cni-wasm/assembly/macvtap/del.ts).
    deepEqual(calls.map((c) => c.command), ["VERSION", "ADD", "DEL", "DEL"]);
    const [, add, ...dels] = calls;
    // DEL's IPAM calls get the runtime's environment as well (their own CNI_COMMAND and CNI_ARGS).
    for (const del of dels) {
      deepEqual(del.env, { ...add!.env, CNI_COMMAND: "DEL", CNI_ARGS: request.delArgs });
    }
    equal(add!.stdin, run.request.stdin, "kube-ovn must get the complete config, byte for byte");
    deepEqual(add!.env, {
      CNI_COMMAND: "ADD",
      CNI_CONTAINERID: pod.sandboxId,
      CNI_NETNS: pod.netns.path,
      CNI_IFNAME: "net1",
      CNI_ARGS: request.addArgs,
      CNI_PATH: node.cniPath,
      PATH: PLUGIN_PATH,
      ...runtimeOwn,
    });
  },
);

rootTest(
  "kube-ovn double: its code 11 reaches the runtime unchanged, IPAM DEL follows, nothing moved",
  async () => {
    await using node = await TestNode.create("kovn11");
    const rpcFailure = {
      code: 11,
      msg: "RPC failed",
      details: "dial unix kube-ovn-daemon.sock: connect refused",
    };
    const { allocation, pod } = await setUp(node, { error: rpcFailure });
    const request = multusDelegate(pod, kubeOvnNad("1.0.0"), {}, 1, allocation.deviceId);
    const run = await runDelegate(node, "ADD", request);
    const error = expectError(run, "ADD while kube-ovn's daemon is down", {
      code: 11,
      mentions: ["RPC failed"],
    });
    equal(error.details, rpcFailure.details);
    const calls = await kubeOvnCalls(node.binDir);
    deepEqual(calls.map((c) => c.command), ["VERSION", "ADD", "DEL"]);
    equal(calls[2]!.stdin, run.request.stdin, "the rollback DEL must carry the ADD's config");
    await expectEmptyPod(pod.netns, run);
    await expectBackOnNode(node, allocation, run);
  },
);

rootTest("kube-ovn double: a NAD without server_socket fails with kube-ovn's own error", async () => {
  await using node = await TestNode.create("kovnsock");
  const { allocation, pod } = await setUp(node, DUAL_STACK);
  const nad = kubeOvnNad("1.0.0", { ipam: { type: "kube-ovn", provider: "p4p1.default" } });
  const run = await runDelegate(node, "ADD", multusDelegate(pod, nad, {}, 1, allocation.deviceId));
  expectError(run, "ADD without ipam.server_socket", { code: 7, mentions: ["server_socket"] });
  await expectBackOnNode(node, allocation, run);
});

/**
 * ADD + CHECK + DEL as Multus drives a 1.0.0 NAD, then DEL once more after the sandbox is gone; returns
 * the stdin of each call, in order.
 */
async function lifeCycle(node: TestNode, allocation: Allocation, pod: PodSandbox): Promise<string[]> {
  const request = multusDelegate(pod, kubeOvnNad("1.0.0"), {}, 1, allocation.deviceId);
  const add = await runDelegate(node, "ADD", request);
  const cached = { ...request.config, prevResult: expectResult(add, "1.0.0") };
  const check = expectSuccess(await runDelegate(node, "CHECK", request, cached), "CHECK");
  const del = expectSuccess(await runDelegate(node, "DEL", request, cached), "DEL");
  await expectEmptyPod(pod.netns);
  await deleteNetns(pod.netns.name);
  const again = expectSuccess(
    await runDelegate(node, "DEL", request, cached),
    "DEL after the sandbox is gone",
  );
  return [add, check, del, again].map((run) => run.request.stdin);
}

rootTest(
  "kube-ovn double: CHECK and DEL reach kube-ovn, DEL also after the sandbox is gone",
  async () => {
    await using node = await TestNode.create("kovndel");
    const { allocation, pod } = await setUp(node, DUAL_STACK);
    await lifeCycle(node, allocation, pod);
    const calls = await kubeOvnCalls(node.binDir);
    // The first DEL releases before and again after it deleted the link (a racing ADD's lease must not
    // outlive it, cni-wasm/assembly/macvtap/del.ts); the DEL after the sandbox is gone found no link.
    deepEqual(calls.map((c) => c.command), ["VERSION", "ADD", "CHECK", "DEL", "DEL", "DEL"]);
    for (const call of calls.slice(2)) {
      ensure(call.env.CNI_ARGS?.includes(`K8S_POD_NAME=${pod.name}`), `${call.command} lost K8S_POD_NAME`);
    }
  },
);
