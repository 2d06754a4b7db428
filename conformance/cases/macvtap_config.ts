// Macvtap group, configuration (the project's contract in harness/rules_macvtap.ts): validation before
// anything moves, old versions, MAC precedence, /dev/tapN ownership, mtu and promiscMode.
import { type CaseSpec } from "../harness/cases.ts";
import { ensure, expectError, expectSuccess, sameMac } from "../../testing/expect.ts";
import { macvtapVersions, tempNameOf } from "../harness/macvtap_node.ts";
import { linkNames, tapNode } from "../../testing/pod_view.ts";
import { addAttachment, requireLink } from "../harness/steps.ts";

const cases: CaseSpec[] = [];

/** Configs that must be refused with code 7, each naming what is wrong. */
const BAD_CONFIGS: [string, Record<string, unknown>][] = [
  ["malformed mac", { mac: "02:zz:00:00:00:01" }],
  ["short mac", { mac: "02:00:00:00:01" }],
  // 0 means "not set" (kubevirt/macvtap-cni and Debian's macvlan treat it so: Go's zero value).
  ["mtu 67", { mtu: 67 }],
  ["mtu 70000", { mtu: 70000 }],
  ["mtu as a string", { mtu: "1500" }],
  ["promiscMode as a string", { promiscMode: "yes" }],
  ["owner as a string", { owner: "107" }],
  ["deviceID as a number", { deviceID: 5 }],
];

cases.push({
  rule: "MVT-bad-config",
  name: "bad mac, mtu and JSON types give code 7 and nothing moves",
  versions: macvtapVersions,
  fn: async (ctx) => {
    const sandbox = await ctx.sandbox();
    for (const [what, patch] of BAD_CONFIGS) {
      const attachment = await sandbox.attachment();
      const run = await sandbox.add(attachment, ctx.version, { patch });
      expectError(run, `ADD with ${what}`, { code: 7 });
      ensure(await sandbox.node.node.link(tempNameOf(attachment)), `${what}: the macvtap left the node`, run);
      ensure((await linkNames(attachment.pod)).length === 0, `${what}: the pod got a link`, run);
    }
  },
});

cases.push({
  rule: "MVT-old-versions",
  name: "cniVersion 0.1.0 and 0.2.0 without IPAM: ADD gives code 1 and nothing moves, DEL succeeds",
  versions: () => ["any"],
  fn: async (ctx) => {
    const sandbox = await ctx.sandbox();
    for (const cniVersion of ["0.1.0", "0.2.0"]) {
      const attachment = await sandbox.attachment();
      const run = await sandbox.add(attachment, cniVersion);
      expectError(run, `ADD at ${cniVersion} (an ip4/ip6 result needs an IP)`, { code: 1 });
      ensure(await sandbox.node.node.link(tempNameOf(attachment)), "the macvtap left the node", run);
      expectSuccess(await sandbox.del(attachment, cniVersion), `DEL at ${cniVersion}`);
    }
  },
});

const CONFIG_MAC = "02:00:00:00:0c:01";
const ARGS_MAC = "02:00:00:00:0a:02";
const RUNTIME_MAC = "02:00:00:00:0e:03";

/** [case, config patch, CNI_ARGS, the MAC that must win]. */
const MAC_SOURCES: [string, Record<string, unknown>, string, string][] = [
  ["config mac alone", { mac: CONFIG_MAC }, "IgnoreUnknown=1", CONFIG_MAC],
  ["CNI_ARGS MAC over config mac", { mac: CONFIG_MAC }, `IgnoreUnknown=1;MAC=${ARGS_MAC}`, ARGS_MAC],
  [
    "runtimeConfig.mac over both",
    { mac: CONFIG_MAC, capabilities: { mac: true }, runtimeConfig: { mac: RUNTIME_MAC } },
    `IgnoreUnknown=1;MAC=${ARGS_MAC}`,
    RUNTIME_MAC,
  ],
];

cases.push({
  rule: "MVT-mac-precedence",
  name: "config mac < CNI_ARGS MAC < runtimeConfig.mac",
  versions: macvtapVersions,
  fn: async (ctx) => {
    for (const [what, patch, args, winner] of MAC_SOURCES) {
      const { attachment, mac, run } = await addAttachment(ctx, { patch, env: { CNI_ARGS: args } });
      ensure(sameMac(mac, winner), `${what}: result mac ${mac}, want ${winner}`, run);
      const link = await requireLink(attachment.pod, attachment.ifname, run);
      ensure(sameMac(link.address, winner), `${what}: pod link MAC ${link.address}, want ${winner}`, run);
    }
  },
});

cases.push({
  rule: "MVT-tap-owner",
  name: "/dev/tapN is 107:107 by default and follows owner/group",
  versions: macvtapVersions,
  fn: async (ctx) => {
    const cases: [Record<string, unknown>, number, number][] = [[{}, 107, 107], [
      { owner: 1234, group: 5678 },
      1234,
      5678,
    ]];
    for (const [patch, uid, gid] of cases) {
      const { attachment, run } = await addAttachment(ctx, { patch });
      const { ifindex } = await requireLink(attachment.pod, attachment.ifname, run);
      const owner = tapNode(ifindex);
      ensure(owner, `/dev/tap${ifindex} does not exist`, run);
      ensure(owner.uid === uid && owner.gid === gid, `/dev/tap${ifindex} is ${owner.uid}:${owner.gid}`, run);
    }
  },
});

cases.push({
  rule: "MVT-mtu-promisc",
  name: "mtu 1400 and promiscMode true reach the pod link",
  versions: macvtapVersions,
  fn: async (ctx) => {
    const { attachment, run } = await addAttachment(ctx, { patch: { mtu: 1400, promiscMode: true } });
    const link = await requireLink(attachment.pod, attachment.ifname, run);
    ensure(link.mtu === 1400, `pod link mtu ${link.mtu}`, run);
    ensure(link.flags.includes("PROMISC") || link.promiscuity > 0, "pod link is not promiscuous", run);
    ensure(link.flags.includes("UP"), "pod link is not up", run);
  },
});

/** The macvtap config cases. */
export const MACVTAP_CONFIG_CASES: readonly CaseSpec[] = cases;
