// Interop through the real libcni (rules LIBCNI-*): Debian's libcni 1.1.2 drives each profile's plugin
// from a conflist, as kubelet runtimes, Multus and podman do. libcni 1.1.2 speaks spec <= 1.0.0 only.
import { type CaseContext, type CaseSpec, notApplicable } from "../harness/cases.ts";
import { ensure, fail, sameMac } from "../../testing/expect.ts";
import { type DriverRequest, type DriverResponse, libcniMissing, runDriver } from "../harness/libcni.ts";
import {
  cniPathOf,
  compareVersions,
  type PluginProfile,
  versionHasCheck,
  versionHasInterfaces,
} from "../harness/profile.ts";
import type { Attachment, Sandbox } from "../harness/sandbox.ts";
import { requireLink } from "../harness/steps.ts";

const cases: CaseSpec[] = [];

const NETWORK = "conformance";
const CAPABILITY_MAC = "02:00:00:00:1c:01";
/** What Multus puts in CNI_ARGS (k8snetworkplumbingwg/multus-cni pkg/types/conf.go, createRuntimeConf). */
const MULTUS_ARGS: [string, string][] = [["IgnoreUnknown", "true"], ["K8S_POD_NAMESPACE", "default"], [
  "K8S_POD_NAME",
  "vm-a",
]];

/** libcni 1.1.2 speaks up to 1.0.0; the cases read interfaces[], which results have from 0.3.0 on. */
const libcniVersions = (p: PluginProfile) =>
  p.versions.filter((v) => versionHasInterfaces(v) && compareVersions(v, "1.0.0") <= 0);
const libcniCheckVersions = (p: PluginProfile) => libcniVersions(p).filter(versionHasCheck);

/** A runtime's view of one attachment: the conflist and a way to call libcni on it. */
interface Runtime {
  sandbox: Sandbox;
  attachment: Attachment;
  cacheDir: string;
  call(op: DriverRequest["op"], extra?: Partial<DriverRequest>): Promise<DriverResponse>;
}

/** The attachment's plugin config as a one-plugin conflist (libcni injects name and cniVersion itself). */
async function runtimeFor(
  ctx: CaseContext,
  shape?: (plugin: Record<string, unknown>) => void,
): Promise<Runtime> {
  const missing = libcniMissing();
  if (missing) throw new Error(missing);
  const sandbox = await ctx.sandbox();
  const attachment = await sandbox.attachment();
  const plugin = sandbox.config(ctx.version, attachment, { cniVersion: undefined, name: undefined });
  shape?.(plugin);
  const cacheDir = `${sandbox.node.workDir}/libcni-cache`;
  const base: DriverRequest = {
    op: "add",
    pluginDirs: [...new Set([ctx.profile.binDir, ...cniPathOf(ctx.profile).split(":")])],
    cacheDir,
    pluginType: ctx.profile.type,
    conflist: { cniVersion: ctx.version, name: NETWORK, plugins: [plugin] },
    containerID: attachment.containerId,
    netns: attachment.pod.path,
    ifname: attachment.ifname,
    args: MULTUS_ARGS,
  };
  return {
    sandbox,
    attachment,
    cacheDir,
    call: (op, extra = {}) => runDriver(sandbox.node.node, { ...base, ...extra, op }),
  };
}

function expectOk(response: DriverResponse, what: string): DriverResponse {
  if (!response.ok) fail(`libcni ${what} failed: ${JSON.stringify(response.error)}`);
  return response;
}

/** The result's entry for the pod interface (libcni hands back the plugin's result in the list version). */
function podMac(response: DriverResponse, attachment: Attachment): string {
  const interfaces = (response.result?.interfaces ?? []) as {
    name?: string;
    mac?: string;
    sandbox?: string;
  }[];
  const entry = interfaces.find((i) => i.name === attachment.ifname && i.sandbox === attachment.pod.path);
  ensure(
    entry?.mac,
    `libcni result has no ${attachment.ifname} in the pod: ${JSON.stringify(response.result)}`,
  );
  return entry.mac;
}

cases.push({
  rule: "LIBCNI-validate",
  name: "GetVersionInfo and ValidateNetworkList accept the plugin",
  versions: libcniVersions,
  fn: async (ctx) => {
    const runtime = await runtimeFor(ctx);
    const info = expectOk(await runtime.call("version"), "GetVersionInfo");
    ensure(info.supportedVersions?.includes(ctx.version), `GetVersionInfo: ${info.supportedVersions}`);
    expectOk(await runtime.call("validate"), "ValidateNetworkList");
  },
});

cases.push({
  rule: "LIBCNI-lifecycle",
  name: "AddNetworkList, CheckNetworkList, DelNetworkList twice",
  versions: libcniVersions,
  fn: async (ctx) => {
    const runtime = await runtimeFor(ctx);
    const { attachment } = runtime;
    const mac = podMac(expectOk(await runtime.call("add"), "AddNetworkList"), attachment);
    const link = await requireLink(attachment.pod, attachment.ifname);
    ensure(sameMac(link.address, mac), `pod link MAC ${link.address}, libcni result says ${mac}`);
    if (versionHasCheck(ctx.version)) expectOk(await runtime.call("check"), "CheckNetworkList");
    expectOk(await runtime.call("del"), "DelNetworkList");
    ensure(!(await attachment.pod.link(attachment.ifname)), "interface left after DelNetworkList");
    expectOk(await runtime.call("del"), "second DelNetworkList");
  },
});

cases.push({
  rule: "LIBCNI-capabilities",
  name: "capability args reach the plugin as runtimeConfig",
  versions: libcniVersions,
  fn: async (ctx) => {
    const capabilities = ctx.profile.features.libcniCapabilities;
    if (capabilities.length === 0) {
      notApplicable("the config declares no capability the suite has values for (mac, deviceID)");
    }
    const withMac = capabilities.includes("mac");
    let deviceID: unknown;
    const runtime = await runtimeFor(ctx, (plugin) => {
      plugin.capabilities = Object.fromEntries(capabilities.map((c) => [c, true]));
      // The device must come from the capability alone, not the config.
      if (capabilities.includes("deviceID")) [deviceID, plugin.deviceID] = [plugin.deviceID, undefined];
    });
    const capabilityArgs = {
      ...(withMac ? { mac: CAPABILITY_MAC } : {}),
      ...(deviceID === undefined ? {} : { deviceID }),
    };
    const added = expectOk(
      await runtime.call("add", { capabilityArgs }),
      "AddNetworkList with capability args",
    );
    const mac = podMac(added, runtime.attachment);
    if (withMac) ensure(sameMac(mac, CAPABILITY_MAC), `MAC ${mac}, capability arg mac was ${CAPABILITY_MAC}`);
    await requireLink(runtime.attachment.pod, runtime.attachment.ifname);
    expectOk(await runtime.call("del", { capabilityArgs }), "DelNetworkList");
  },
});

/** Rewrites the MAC libcni cached for the attachment, so a CHECK that uses the cache must fail. */
async function tamperCachedMac(runtime: Runtime, mac: string): Promise<void> {
  const { containerId, ifname } = runtime.attachment;
  const path = `${runtime.cacheDir}/results/${NETWORK}-${containerId}-${ifname}`;
  const cached = JSON.parse(await Deno.readTextFile(path));
  for (const entry of cached.result?.interfaces ?? []) if (entry.name === ifname) entry.mac = mac;
  await Deno.writeTextFile(path, JSON.stringify(cached));
}

cases.push({
  rule: "LIBCNI-cache",
  name: "CHECK judges the attachment by libcni's cached result",
  versions: libcniCheckVersions,
  fn: async (ctx) => {
    const runtime = await runtimeFor(ctx);
    const added = expectOk(await runtime.call("add"), "AddNetworkList");
    const cached = expectOk(await runtime.call("cached"), "GetNetworkListCachedResult");
    ensure(
      JSON.stringify(cached.result) === JSON.stringify(added.result),
      "cached result differs from ADD's",
    );
    expectOk(await runtime.call("check"), "CheckNetworkList");
    await tamperCachedMac(runtime, "02:00:00:00:ba:d0");
    const check = await runtime.call("check");
    ensure(!check.ok, "CheckNetworkList passed with a cached result whose MAC is wrong: prevResult not used");
    expectOk(await runtime.call("del"), "DelNetworkList");
    ensure(!(await runtime.call("cached")).result, "libcni kept the cache after DelNetworkList");
  },
});

/** The libcni cases. */
export const LIBCNI_CASES: readonly CaseSpec[] = cases;
