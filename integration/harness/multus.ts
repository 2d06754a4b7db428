/**
 * Multus replay: the exact request Multus (k8snetworkplumbingwg/multus-cni: pkg/k8sclient/k8sclient.go picks
 * the device ID, pkg/types/conf.go puts it in the config and builds CNI_ARGS and runtimeConfig) makes of a
 * delegate plugin for one element of a pod's `k8s.v1.cni.cncf.io/networks` annotation, built step by step
 * the way Multus and the libcni inside it build it. Tests exec our plugin with it, so they prove the plugin
 * works with what Multus really sends, not with what we would like it to send.
 *
 * @module
 */
import type { TestNetns } from "../../testing/netns.ts";

/** A NetworkAttachmentDefinition: `spec.config` and the resourceName annotation. */
export interface Nad {
  name: string;
  namespace: string;
  /** spec.config as JSON. */
  config: Record<string, unknown>;
}

/** One element of the pod's networks annotation (what KubeVirt or kubemacpool writes). */
export interface NetworkSelection {
  /** Pod interface name; KubeVirt sets {@link kubevirtPodIfname}. Default `net<position>`. */
  interface?: string;
  /** kubemacpool / KubeVirt `macAddress`. */
  mac?: string;
  ips?: string[];
  /** The `cni-args` map, injected as `args.cni`. */
  cniArgs?: Record<string, unknown>;
}

/** The pod sandbox as the runtime describes it to Multus. */
export interface PodSandbox {
  namespace: string;
  name: string;
  uid: string;
  /** CNI_CONTAINERID and K8S_POD_INFRA_CONTAINER_ID. */
  sandboxId: string;
  netns: TestNetns;
}

/** What Multus execs the delegate with, minus CNI_COMMAND and CNI_PATH. */
export interface DelegateRequest {
  containerId: string;
  ifname: string;
  netns: TestNetns;
  /** CNI_ARGS for ADD (with MAC= / IP= when the selection asks for them). */
  addArgs: string;
  /** CNI_ARGS for DEL and CHECK: Multus appends MAC= / IP= in its ADD path only. */
  delArgs: string;
  /** stdin without prevResult (DEL/CHECK add the cached result). */
  config: Record<string, unknown>;
}

/** Where Multus writes device info for a delegate with a device (nadutils.GetCNIDeviceInfoPath). */
const DEVINFO_DIR = "/var/run/k8s.cni.cncf.io/devinfo/cni";

/**
 * CNI_ARGS the runtime (containerd/CRI-O) gave Multus itself; Multus appends every pair of it after its own
 * (newCNIRuntimeConf fills only empty values in place), so the delegate sees each key twice.
 */
export function runtimeCniArgs(pod: PodSandbox): string {
  return [
    "IgnoreUnknown=1",
    `K8S_POD_NAMESPACE=${pod.namespace}`,
    `K8S_POD_NAME=${pod.name}`,
    `K8S_POD_INFRA_CONTAINER_ID=${pod.sandboxId}`,
    `K8S_POD_UID=${pod.uid}`,
  ].join(";");
}

/**
 * The request for the delegate at `position` (1 = first secondary network, Multus' `net<idx>` numbering)
 * of `nad`, with `deviceId` = the kubelet's `DeviceIDs[i]` for the NAD's resource (pod-resources API).
 */
export function multusDelegate(
  pod: PodSandbox,
  nad: Nad,
  selection: NetworkSelection,
  position: number,
  deviceId?: string,
): DelegateRequest {
  const ifname = selection.interface ?? `net${position}`;
  const config = delegateConfig(nad, selection, deviceId);
  const name = String(config.name);
  const capabilityArgs: Record<string, unknown> = {};
  if (selection.ips?.length) capabilityArgs.ips = selection.ips;
  if (selection.mac) capabilityArgs.mac = selection.mac;
  if (deviceId) {
    capabilityArgs.deviceID = deviceId;
    capabilityArgs.CNIDeviceInfoFile = `${DEVINFO_DIR}/${name}-${pod.sandboxId}_${ifname}`;
  }
  injectRuntimeConfig(config, capabilityArgs);
  const base = `IgnoreUnknown=true;K8S_POD_NAMESPACE=${pod.namespace};K8S_POD_NAME=${pod.name};` +
    `K8S_POD_INFRA_CONTAINER_ID=${pod.sandboxId};K8S_POD_UID=${pod.uid};${runtimeCniArgs(pod)}`;
  let addArgs = base;
  if (selection.mac) addArgs += `;MAC=${selection.mac}`;
  if (selection.ips?.length) addArgs += `;IP=${selection.ips.join(",")}`;
  return { containerId: pod.sandboxId, ifname, netns: pod.netns, addArgs, delArgs: base, config };
}

/** spec.config with the name injected when missing, deviceID/pciBusID (delegateAddDeviceID), args.cni. */
function delegateConfig(nad: Nad, selection: NetworkSelection, deviceId?: string): Record<string, unknown> {
  const config = structuredClone(nad.config);
  if (config.name === undefined) config.name = nad.name;
  if (deviceId) {
    config.deviceID = deviceId;
    config.pciBusID = deviceId;
  }
  if (selection.cniArgs) {
    const args = (config.args ??= {}) as Record<string, unknown>;
    args.cni = { ...(args.cni as Record<string, unknown> | undefined), ...selection.cniArgs };
  }
  return config;
}

/**
 * libcni's injectRuntimeConfig: runtimeConfig holds only the capabilities the config declares true, and is
 * left out when none match. `capabilities` itself stays in the config (libcni and Multus both keep it).
 */
function injectRuntimeConfig(config: Record<string, unknown>, capabilityArgs: Record<string, unknown>): void {
  const declared = (config.capabilities ?? {}) as Record<string, unknown>;
  const runtimeConfig: Record<string, unknown> = {};
  for (const [capability, value] of Object.entries(capabilityArgs)) {
    if (declared[capability] === true) runtimeConfig[capability] = value;
  }
  if (Object.keys(runtimeConfig).length > 0) config.runtimeConfig = runtimeConfig;
}

/** KubeVirt's pod interface name for a secondary network: "pod" + 11 hex of sha256(network name). */
export async function kubevirtPodIfname(networkName: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(networkName));
  const hex = Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
  return `pod${hex.slice(0, 11)}`;
}

/** One entry of the `k8s.v1.cni.cncf.io/network-status` annotation (the fields KubeVirt reads). */
export interface NetworkStatus {
  name: string;
  interface: string;
  mac: string;
  ips: string[];
}

/**
 * What Multus publishes from a delegate's Result (nadutils.CreateNetworkStatuses): one entry per interface
 * with a non-empty sandbox, with the IPs whose `interface` index points at it (address without prefix).
 */
export function networkStatuses(networkName: string, result: unknown): NetworkStatus[] {
  const { interfaces = [], ips = [] } = result as {
    interfaces?: { name: string; mac: string; sandbox?: string }[];
    ips?: { address: string; interface?: number }[];
  };
  const statuses: NetworkStatus[] = [];
  interfaces.forEach((iface, index) => {
    if (!iface.sandbox) return;
    const own = ips.filter((ip) => ip.interface === index).map((ip) => ip.address.split("/")[0]!);
    statuses.push({ name: networkName, interface: iface.name, mac: iface.mac, ips: own });
  });
  return statuses;
}
