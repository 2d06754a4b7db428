// ADD: the result, the interface in the pod, prevResult, CNI_ARGS and MAC capabilities (rules ADD-*).
import {
  findRoute,
  kernelRoutes,
  linkAddresses,
  resultAddresses,
  resultRoutes,
} from "../harness/addressing.ts";
import { type CaseSpec, notApplicable } from "../harness/cases.ts";
import { ensure, expectError, fail, sameMac } from "../../testing/expect.ts";
import { versionHasIpVersion } from "../harness/profile.ts";
import { resultShapeProblems } from "../harness/result_shape.ts";
import {
  addAttachment,
  type Added,
  requireInterfacesList,
  requireIps,
  requireLink,
} from "../harness/steps.ts";

const cases: CaseSpec[] = [];

const RUNTIME_MAC = "02:c0:ff:ee:00:01";
const ARGS_MAC = "02:c0:ff:ee:00:02";
const MULTUS_ARGS = "IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=vm-a;K8S_POD_UID=1234;FOO=bar";

cases.push({
  rule: "ADD-result-version",
  name: "ADD prints a Result in the config's version",
  fn: async (ctx) => void await addAttachment(ctx),
});

cases.push({
  rule: "ADD-result-shape",
  name: "every field of the ADD result has the type and format of its version",
  fn: async (ctx) => {
    const { result, run } = await addAttachment(ctx);
    const problems = resultShapeProblems(result, ctx.version);
    if (problems.length > 0) fail(`ADD result: ${problems.join("; ")}`, run);
  },
});

cases.push({
  rule: "ADD-interface",
  name: "interfaces[] has CNI_IFNAME, sandbox = CNI_NETNS, a mac",
  fn: async (ctx) => {
    requireInterfacesList(ctx.version, "nothing to check");
    // addAttachment checks the entry (podInterface).
    await addAttachment(ctx);
  },
});

cases.push({
  rule: "ADD-ips-version",
  name: "ips[].version only in 0.3.x/0.4.0 results",
  fn: async (ctx) => {
    requireInterfacesList(ctx.version, "ips[] neither");
    const { result, run } = await addAttachment(ctx);
    const ips = result.ips ?? [];
    requireIps(ctx, ips.length, run);
    for (const entry of ips) {
      if (versionHasIpVersion(ctx.version)) {
        ensure(entry.version === "4" || entry.version === "6", `ips entry without version "4"/"6"`, run);
      } else {
        ensure(entry.version === undefined, `ips entry has "version" in a ${ctx.version} result`, run);
      }
    }
  },
});

cases.push({
  rule: "ADD-ips-applied",
  name: "the result's addresses are on CNI_IFNAME and its routes in the pod",
  fn: async (ctx) => {
    const { result, attachment, run } = await addAttachment(ctx);
    const addresses = resultAddresses(result, ctx.version, attachment.ifname, attachment.pod.path);
    requireIps(ctx, addresses.length, run);
    const onLink = await linkAddresses(attachment.pod, attachment.ifname);
    for (const address of addresses) {
      const found = onLink.some((a) => a.bits === address.bits && a.prefix === address.prefix);
      ensure(
        found,
        `${address.text} is not on ${attachment.ifname} (it has ${onLink.map((a) => a.text)})`,
        run,
      );
    }
    const routes = await kernelRoutes(attachment.pod);
    for (const route of resultRoutes(result, ctx.version)) {
      const via = route.gw ? ` via ${route.gw}` : "";
      ensure(findRoute(routes, route), `the pod has no route to ${route.dst.text}${via}`, run);
    }
  },
});

/** The pod link must carry `mac`, and so must the result where it has an interfaces list. */
async function expectMac({ attachment, mac, run }: Added, want: string, source: string): Promise<void> {
  if (mac !== undefined) ensure(sameMac(mac, want), `result mac ${mac}, ${source} asked ${want}`, run);
  const link = await requireLink(attachment.pod, attachment.ifname, run);
  ensure(sameMac(link.address, want), `pod link MAC ${link.address}, ${source} asked ${want}`, run);
}

cases.push({
  rule: "ADD-link",
  name: "the pod has CNI_IFNAME with the reported MAC",
  fn: async (ctx) => {
    const added = await addAttachment(ctx);
    if (added.mac !== undefined) await expectMac(added, added.mac, "the result");
    else await requireLink(added.attachment.pod, added.attachment.ifname, added.run);
  },
});

cases.push({
  rule: "ADD-ifname-exists",
  name: "ADD fails when CNI_IFNAME already exists in the pod",
  fn: async (ctx) => {
    const sandbox = await ctx.sandbox();
    const attachment = await sandbox.attachment();
    await attachment.pod.addVeth(attachment.ifname, "confpeer0");
    const run = await sandbox.add(attachment, ctx.version);
    expectError(run, "ADD over an existing interface");
    const link = await requireLink(attachment.pod, attachment.ifname, run);
    ensure(link.linkinfo?.info_kind === "veth", "the pre-existing interface was replaced", run);
  },
});

cases.push({
  rule: "ADD-prevresult",
  name: "interfaces from prevResult are passed through",
  fn: async (ctx) => {
    requireInterfacesList(ctx.version, "prevResult and chaining exist from 0.3.0");
    const hostInterface = { name: "confhost0", mac: "02:00:00:00:00:01" };
    const prevResult = { cniVersion: ctx.version, interfaces: [hostInterface] };
    const { result, run } = await addAttachment(ctx, { patch: { prevResult } });
    const names = (result.interfaces ?? []).map((i) => i.name);
    ensure(names.includes(hostInterface.name), `prevResult interface dropped; result has ${names}`, run);
  },
});

cases.push({
  rule: "ADD-args-ignoreunknown",
  name: "CNI_ARGS IgnoreUnknown=1 with unknown keys is accepted",
  fn: async (ctx) => void await addAttachment(ctx, { env: { CNI_ARGS: MULTUS_ARGS } }),
});

cases.push({
  rule: "ADD-mac-runtimeconfig",
  name: "runtimeConfig.mac with capabilities.mac sets the MAC",
  fn: async (ctx) => {
    if (!ctx.profile.features.runtimeConfigMac) {
      notApplicable("the profile declares no runtimeConfig.mac support");
    }
    const patch = { capabilities: { mac: true }, runtimeConfig: { mac: RUNTIME_MAC } };
    await expectMac(await addAttachment(ctx, { patch }), RUNTIME_MAC, "runtimeConfig.mac");
  },
});

cases.push({
  rule: "ADD-mac-args",
  name: "CNI_ARGS MAC= sets the MAC",
  fn: async (ctx) => {
    if (!ctx.profile.features.argsMac) {
      notApplicable("needs plugin knowledge: the profile does not say the plugin honours CNI_ARGS MAC=");
    }
    const env = { CNI_ARGS: `IgnoreUnknown=1;MAC=${ARGS_MAC}` };
    await expectMac(await addAttachment(ctx, { env }), ARGS_MAC, "CNI_ARGS MAC=");
  },
});

/** The add cases. */
export const ADD_CASES: readonly CaseSpec[] = cases;
