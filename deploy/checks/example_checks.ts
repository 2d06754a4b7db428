/**
 * Checks on the example manifests (deploy/examples/): NetworkAttachmentDefinitions against the resources
 * the device plugin config creates and the plugin's config keys, pods and VMs against the NADs they
 * name, and kube-ovn's provider / Subnet / annotation contract.
 *
 * @module
 */
import { PLUGIN_NAME } from "../install_cni.ts";
import type { Resource } from "./kustomize.ts";

type Fields = Record<string, unknown>;

/** Annotation Multus reads to find a NAD's device plugin resource. */
export const RESOURCE_ANNOTATION = "k8s.v1.cni.cncf.io/resourceName";

/** Annotation listing a pod's extra networks. */
export const NETWORKS_ANNOTATION = "k8s.v1.cni.cncf.io/networks";

/** CNI spec versions the plugin accepts. */
export const SUPPORTED_CNI_VERSIONS = ["0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"];

/** Top-level keys of the plugin's network configuration (Multus adds deviceID/runtimeConfig itself). */
const CONFIG_KEYS = new Set(
  ["cniVersion", "name", "type", "mtu", "mac", "promiscMode", "owner", "group", "ipam", "capabilities"],
);

/** Multus capabilities the plugin does something with. */
const CAPABILITIES = new Set(["mac", "ips", "deviceID"]);

const MAC = /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i;

/** A NAD's plugin configuration, parsed; throws naming the NAD when it is not a JSON object. */
export function nadConfig(nad: Resource): Fields {
  const text = (nad.spec as Fields | undefined)?.config;
  let config: unknown;
  try {
    config = JSON.parse(String(text));
  } catch (error) {
    throw new Error(`NAD "${nad.metadata.name}": spec.config is not JSON: ${(error as Error).message}`);
  }
  if (typeof config !== "object" || config === null || Array.isArray(config)) {
    throw new Error(`NAD "${nad.metadata.name}": spec.config is not a JSON object`);
  }
  return config as Fields;
}

/** A NAD asks for a resource the device plugin config creates, and configures this plugin validly. */
export function nadProblems(nad: Resource, knownResources: Set<string>): string[] {
  const at = `NAD "${nad.metadata.name}"`;
  const problems: string[] = [];
  const resource = (nad.metadata.annotations as Record<string, string> | undefined)?.[RESOURCE_ANNOTATION];
  if (!resource) problems.push(`${at} has no ${RESOURCE_ANNOTATION}, so no device is allocated`);
  else if (!knownResources.has(resource)) {
    problems.push(`${at} asks for ${resource}, which no config creates`);
  }
  const config = nadConfig(nad);
  if (config.type !== PLUGIN_NAME) problems.push(`${at} has type ${config.type}, not "${PLUGIN_NAME}"`);
  if (config.name !== nad.metadata.name) problems.push(`${at} configures network "${config.name}"`);
  if (!SUPPORTED_CNI_VERSIONS.includes(String(config.cniVersion))) {
    problems.push(`${at} has cniVersion ${config.cniVersion}, which the plugin does not support`);
  }
  for (const key of Object.keys(config)) {
    if (!CONFIG_KEYS.has(key)) problems.push(`${at} has unknown key "${key}"`);
  }
  const mtu = config.mtu;
  if (mtu !== undefined && !(Number.isInteger(mtu) && Number(mtu) >= 68 && Number(mtu) <= 65535)) {
    problems.push(`${at} has mtu ${mtu}`);
  }
  if (config.mac !== undefined && !MAC.test(String(config.mac))) problems.push(`${at} has mac ${config.mac}`);
  const ipam = config.ipam as Fields | undefined;
  if (ipam && typeof ipam.type !== "string") problems.push(`${at} has ipam without a type`);
  for (const [name, on] of Object.entries((config.capabilities ?? {}) as Fields)) {
    if (!CAPABILITIES.has(name) || on !== true) problems.push(`${at} declares capability ${name}: ${on}`);
  }
  if (ipam?.type === "kube-ovn") problems.push(...kubeOvnIpamProblems(nad, ipam));
  return problems;
}

function kubeOvnIpamProblems(nad: Resource, ipam: Fields): string[] {
  const at = `NAD "${nad.metadata.name}"`;
  const expected = `${nad.metadata.name}.${nad.metadata.namespace}`;
  const problems: string[] = [];
  if (!nad.metadata.namespace) problems.push(`${at} needs a namespace: kube-ovn's provider includes it`);
  if (ipam.provider !== expected) {
    problems.push(`${at} has kube-ovn provider ${ipam.provider}, not ${expected}`);
  }
  if (typeof ipam.server_socket !== "string") problems.push(`${at} has no kube-ovn server_socket`);
  return problems;
}

/** One element of a networks annotation. */
export interface NetworkSelection {
  name: string;
  namespace?: string;
  interface?: string;
  mac?: string;
  ips?: string[];
}

/** The networks annotation in its JSON form or its short `[ns/]name,…` form. */
export function networkSelections(annotations: Record<string, string> | undefined): NetworkSelection[] {
  const text = annotations?.[NETWORKS_ANNOTATION]?.trim();
  if (!text) return [];
  if (text.startsWith("[")) return JSON.parse(text) as NetworkSelection[];
  return text.split(",").map((entry) => {
    const [namespace, name] = entry.trim().includes("/")
      ? entry.trim().split("/")
      : [undefined, entry.trim()];
    return { name, namespace };
  });
}

/** The NAD a selection names, looked up in the selecting object's namespace by default. */
export function findNad(nads: Resource[], name: string, namespace: string | undefined): Resource | undefined {
  return nads.find((n) => n.metadata.name === name && n.metadata.namespace === namespace);
}

/**
 * A pod's networks exist; `ips` need an IPAM and the ips capability; a `mac` is a MAC; the pod's resource
 * limits ask for one device per attachment of each resource.
 */
export function podProblems(pod: Resource, nads: Resource[]): string[] {
  const at = `pod "${pod.metadata.name}"`;
  const problems: string[] = [];
  const wanted = new Map<string, number>();
  for (const selection of networkSelections(pod.metadata.annotations as Record<string, string>)) {
    const nad = findNad(nads, selection.name, selection.namespace ?? pod.metadata.namespace);
    if (!nad) {
      problems.push(`${at} attaches to ${selection.name}, which no example defines`);
      continue;
    }
    const config = nadConfig(nad);
    const capabilities = (config.capabilities ?? {}) as Fields;
    if (selection.ips && (!capabilities.ips || !config.ipam)) {
      problems.push(`${at} asks for ips on ${selection.name}, which lacks an IPAM or the ips capability`);
    }
    if (selection.mac !== undefined && !MAC.test(selection.mac)) {
      problems.push(`${at} asks for mac ${selection.mac}`);
    }
    const resource = (nad.metadata.annotations as Record<string, string> | undefined)?.[RESOURCE_ANNOTATION];
    if (resource === undefined) {
      problems.push(`${at} attaches to ${selection.name}, whose NAD names no ${RESOURCE_ANNOTATION}`);
      continue;
    }
    wanted.set(resource, (wanted.get(resource) ?? 0) + 1);
  }
  const limits = new Map<string, number>();
  for (const c of ((pod.spec as Fields).containers ?? []) as Fields[]) {
    const containerLimits = ((c.resources as Fields | undefined)?.limits ?? {}) as Record<string, number>;
    for (const [name, count] of Object.entries(containerLimits)) {
      if (name.startsWith("macvtap.")) limits.set(name, (limits.get(name) ?? 0) + Number(count));
    }
  }
  for (const [resource, count] of wanted) {
    if (limits.get(resource) !== count) {
      problems.push(`${at} limits ${resource} to ${limits.get(resource)}, needs ${count}`);
    }
  }
  for (const resource of limits.keys()) {
    if (!wanted.has(resource)) problems.push(`${at} requests unused ${resource}`);
  }
  return problems;
}

/** The network bindings a KubeVirt CR registers, by name. */
export function registeredBindings(kubevirt: Resource): Record<string, Fields> {
  const configuration = ((kubevirt.spec as Fields)?.configuration ?? {}) as Fields;
  return (((configuration.network ?? {}) as Fields).binding ?? {}) as Record<string, Fields>;
}

/** A VM's interfaces and networks pair up, bindings are registered (macvtap as tap), NADs exist. */
export function vmProblems(vm: Resource, nads: Resource[], bindings: Record<string, Fields>): string[] {
  const at = `VM "${vm.metadata.name}"`;
  const spec = ((vm.spec as Fields).template as Fields).spec as Fields;
  const interfaces = (((spec.domain as Fields).devices as Fields).interfaces ?? []) as Fields[];
  const networks = (spec.networks ?? []) as Fields[];
  const problems: string[] = [];
  for (const iface of interfaces) {
    const network = networks.find((n) => n.name === iface.name);
    if (!network) problems.push(`${at} interface ${iface.name} has no network`);
    const binding = (iface.binding as Fields | undefined)?.name as string | undefined;
    if (binding && !bindings[binding]) {
      problems.push(`${at} uses binding ${binding}, which is not registered`);
    }
    if (binding === "macvtap" && bindings.macvtap?.domainAttachmentType !== "tap") {
      problems.push(`${at}: the macvtap binding must be registered with domainAttachmentType tap`);
    }
    if (iface.macAddress !== undefined && !MAC.test(String(iface.macAddress))) {
      problems.push(`${at} interface ${iface.name} has macAddress ${iface.macAddress}`);
    }
    const multus = (network?.multus as Fields | undefined)?.networkName as string | undefined;
    if (!multus) continue;
    const [namespace, name] = multus.includes("/") ? multus.split("/") : [vm.metadata.namespace, multus];
    if (!findNad(nads, name, namespace)) {
      problems.push(`${at} uses network ${multus}, which no example defines`);
    }
  }
  return problems;
}

/**
 * kube-ovn's contract for pods on a macvtap network with kube-ovn IPAM: the `<provider>.kubernetes.io/…`
 * annotations name a provider of a NAD the pod attaches to, a Subnet with that provider is the named
 * logical switch, and a static address lies inside it (not excluded, not the gateway).
 */
export function kubeOvnProblems(pod: Resource, nads: Resource[], subnets: Resource[]): string[] {
  const at = `pod "${pod.metadata.name}"`;
  const annotations = (pod.metadata.annotations ?? {}) as Record<string, string>;
  const providers = new Set<string>();
  for (const key of Object.keys(annotations)) {
    const match = /^(.+)\.kubernetes\.io\/(logical_switch|ip_address|mac_address|ip_pool)$/.exec(key);
    if (match) providers.add(match[1]!);
  }
  const attached = networkSelections(annotations)
    .map((s) => findNad(nads, s.name, s.namespace ?? pod.metadata.namespace))
    .map((nad) => nad && (nadConfig(nad).ipam as Fields | undefined)?.provider);
  const problems: string[] = [];
  for (const provider of providers) {
    if (!attached.includes(provider)) {
      problems.push(`${at} annotates provider ${provider} of no attached NAD`);
    }
    const subnetName = annotations[`${provider}.kubernetes.io/logical_switch`];
    const subnet = subnets.find((s) => s.metadata.name === subnetName);
    const spec = (subnet?.spec ?? {}) as Fields;
    if (!subnet) problems.push(`${at} names logical switch ${subnetName}, which no example defines`);
    else if (spec.provider !== provider) problems.push(`Subnet ${subnetName} has provider ${spec.provider}`);
    const address = annotations[`${provider}.kubernetes.io/ip_address`];
    if (subnet && address) problems.push(...addressProblems(at, address, spec));
    const mac = annotations[`${provider}.kubernetes.io/mac_address`];
    if (mac !== undefined && !MAC.test(mac)) problems.push(`${at} pins mac_address ${mac}`);
  }
  return problems;
}

function addressProblems(at: string, address: string, subnet: Fields): string[] {
  const [network = "", bits] = String(subnet.cidrBlock).split("/");
  const mask = Number(bits) === 0 ? 0 : (~0 << (32 - Number(bits))) >>> 0;
  const value = ipv4(address);
  if (value === null || ((value & mask) >>> 0) !== ipv4(network)) {
    return [`${at} pins ${address} outside ${subnet.cidrBlock}`];
  }
  if (value === ipv4(String(subnet.gateway))) return [`${at} pins the gateway address ${address}`];
  for (const range of (subnet.excludeIps ?? []) as string[]) {
    const [first = null, last = first] = range.split("..").map(ipv4);
    if (first !== null && last !== null && value >= first && value <= last) {
      return [`${at} pins excluded ${address}`];
    }
  }
  return [];
}

/** A dotted IPv4 address as an unsigned number, or null. */
export function ipv4(text: string): number | null {
  const parts = text.split(".").map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) return null;
  return parts.reduce((value, part) => value * 256 + part, 0);
}
