// ADD: the result, the interface in the pod, prevResult, CNI_ARGS and MAC capabilities (rules ADD-*).
import { type CaseSpec, notApplicable } from "../harness/cases.ts";
import { ensure, expectError, sameMac } from "../harness/expect.ts";
import { versionHasIpVersion } from "../harness/profile.ts";
import { addAttachment, requireLink } from "../harness/steps.ts";

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
  rule: "ADD-interface",
  name: "interfaces[] has CNI_IFNAME, sandbox = CNI_NETNS, a mac",
  // addAttachment checks the entry (podInterface).
  fn: async (ctx) => void await addAttachment(ctx),
});

cases.push({
  rule: "ADD-ips-version",
  name: "ips[].version only in 0.3.x/0.4.0 results",
  fn: async (ctx) => {
    const { result, run } = await addAttachment(ctx);
    const ips = result.ips ?? [];
    if (ips.length === 0) notApplicable("the result has no ips (no IPAM in this profile's config)");
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
  rule: "ADD-link",
  name: "the pod has CNI_IFNAME with the reported MAC",
  fn: async (ctx) => {
    const { attachment, mac, run } = await addAttachment(ctx);
    const link = await requireLink(attachment.pod, attachment.ifname, run);
    ensure(sameMac(link.address, mac), `pod link MAC ${link.address}, result says ${mac}`, run);
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
    const { attachment, mac, run } = await addAttachment(ctx, { patch });
    ensure(sameMac(mac, RUNTIME_MAC), `result mac ${mac}, runtimeConfig asked ${RUNTIME_MAC}`, run);
    const link = await requireLink(attachment.pod, attachment.ifname, run);
    ensure(sameMac(link.address, RUNTIME_MAC), `pod link MAC ${link.address}, want ${RUNTIME_MAC}`, run);
  },
});

cases.push({
  rule: "ADD-mac-args",
  name: "CNI_ARGS MAC= sets the MAC",
  fn: async (ctx) => {
    if (!ctx.profile.features.argsMac) notApplicable("the profile declares no CNI_ARGS MAC support");
    const env = { CNI_ARGS: `IgnoreUnknown=1;MAC=${ARGS_MAC}` };
    const { attachment, mac, run } = await addAttachment(ctx, { env });
    ensure(sameMac(mac, ARGS_MAC), `result mac ${mac}, CNI_ARGS asked ${ARGS_MAC}`, run);
    const link = await requireLink(attachment.pod, attachment.ifname, run);
    ensure(sameMac(link.address, ARGS_MAC), `pod link MAC ${link.address}, want ${ARGS_MAC}`, run);
  },
});

/** The add cases. */
export const ADD_CASES: readonly CaseSpec[] = cases;
