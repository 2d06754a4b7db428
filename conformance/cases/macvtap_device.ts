// Macvtap group, finding and moving the device (the project's contract in harness/rules_macvtap.ts): temp
// name, fallback, deviceID sources, refusing non-macvtap links, double ADD, DEL leaving nothing behind.
import { type CaseSpec } from "../harness/cases.ts";
import { ensure, expectError, expectResult, expectSuccess, podInterface } from "../../testing/expect.ts";
import { macvtapVersions, stagedAttachment, tempNameOf } from "../harness/macvtap_node.ts";
import { linkNames, tapNode } from "../../testing/pod_view.ts";
import type { PluginRun } from "../../testing/plugin_exec.ts";
import type { Attachment, Sandbox } from "../harness/sandbox.ts";
import { addAttachment, prevResultForDel, requireLink } from "../harness/steps.ts";
import { tempLinkName } from "../../daemon/macvtap/temp_link_name.ts";

const cases: CaseSpec[] = [];

/** ADD must have moved node link `ifindex` into the pod as CNI_IFNAME (same ifindex: moved, not recreated). */
async function expectMoved(sandbox: Sandbox, attachment: Attachment, ifindex: number, run: PluginRun) {
  const link = await requireLink(attachment.pod, attachment.ifname, run);
  ensure(link.linkinfo?.info_kind === "macvtap", `pod link kind ${link.linkinfo?.info_kind}`, run);
  ensure(
    link.ifindex === ifindex,
    `pod link ifindex ${link.ifindex}, the staged macvtap had ${ifindex}`,
    run,
  );
  const left = (await sandbox.node.node.links()).find((l) => l.ifindex === ifindex);
  ensure(!left, `the staged macvtap is still on the node as ${left?.ifname}`, run);
}

cases.push({
  rule: "MVT-temp-name",
  name: "ADD moves mvt<xxh64> of deviceID eth0Mvp0 (mvtf2644cc3624e)",
  versions: macvtapVersions,
  fn: async (ctx) => {
    // The literal vector, not our own hash function: the plugin must agree with macvtap-cni.
    const { sandbox, attachment, ifindex } = await stagedAttachment(ctx, "eth0Mvp0", "mvtf2644cc3624e");
    const run = await sandbox.add(attachment, ctx.version);
    podInterface(expectResult(run, ctx.version), attachment.ifname, attachment.pod.path, run);
    await expectMoved(sandbox, attachment, ifindex, run);
  },
});

cases.push({
  rule: "MVT-fallback-name",
  name: "ADD moves a node link named exactly deviceID",
  versions: macvtapVersions,
  fn: async (ctx) => {
    const { sandbox, attachment, ifindex } = await stagedAttachment(ctx, "forkMvp3", "forkMvp3");
    const run = await sandbox.add(attachment, ctx.version);
    expectResult(run, ctx.version);
    await expectMoved(sandbox, attachment, ifindex, run);
  },
});

const DEVICE_ID_PLACEMENTS: [string, (id: string) => Record<string, unknown>][] = [
  ["top-level deviceID", (id) => ({ deviceID: id })],
  ["runtimeConfig.deviceID", (id) => ({ capabilities: { deviceID: true }, runtimeConfig: { deviceID: id } })],
  ["pciBusID only", (id) => ({ pciBusID: id })],
];

cases.push({
  rule: "MVT-deviceid-sources",
  name: "deviceID from deviceID, runtimeConfig.deviceID or pciBusID",
  versions: macvtapVersions,
  fn: async (ctx) => {
    for (const [index, [where, place]] of DEVICE_ID_PLACEMENTS.entries()) {
      const deviceID = `srcMvp${index}`;
      const { sandbox, attachment, ifindex } = await stagedAttachment(ctx, deviceID);
      attachment.config = place(deviceID);
      const run = await sandbox.add(attachment, ctx.version);
      expectSuccess(run, `ADD with ${where}`);
      await expectMoved(sandbox, attachment, ifindex, run);
    }
  },
});

cases.push({
  rule: "MVT-not-macvtap",
  name: "a deviceID naming a veth or a macvlan is refused, the link stays",
  versions: macvtapVersions,
  fn: async (ctx) => {
    const sandbox = await ctx.sandbox();
    const macvlanName = tempLinkName("vlanMvp0");
    await sandbox.node.node.ip(
      "link",
      "add",
      "link",
      sandbox.node.lower,
      "name",
      macvlanName,
      "type",
      "macvlan",
    );
    // lower0p is the veth peer of the lower link: its exact name matches the fallback lookup.
    for (const [deviceID, linkName] of [["lower0p", "lower0p"], ["vlanMvp0", macvlanName]] as const) {
      const attachment = await sandbox.attachment({ prepare: false });
      attachment.config = { deviceID };
      const run = await sandbox.add(attachment, ctx.version);
      expectError(run, `ADD with deviceID naming ${linkName}`);
      ensure(await sandbox.node.node.link(linkName), `${linkName} left the node`, run);
      ensure((await linkNames(attachment.pod)).length === 0, "the pod got a link", run);
    }
  },
});

cases.push({
  rule: "MVT-missing-deviceid",
  name: "a config without deviceID gives code 7",
  versions: macvtapVersions,
  fn: async (ctx) => {
    const sandbox = await ctx.sandbox();
    const attachment = await sandbox.attachment();
    const run = await sandbox.add(attachment, ctx.version, { patch: { deviceID: undefined } });
    expectError(run, "ADD without deviceID", { code: 7, mentions: ["deviceID"] });
    ensure(await sandbox.node.node.link(tempNameOf(attachment)), "the staged macvtap left the node", run);
  },
});

cases.push({
  rule: "MVT-double-add",
  name: "ADD of an already attached deviceID fails, the first attachment is intact",
  versions: macvtapVersions,
  fn: async (ctx) => {
    const first = await addAttachment(ctx);
    const before = await requireLink(first.attachment.pod, first.attachment.ifname);
    const second = await first.sandbox.attachment({ prepare: false });
    second.config = { ...first.attachment.config };
    const run = await first.sandbox.add(second, ctx.version);
    expectError(run, "second ADD of the same deviceID");
    const after = await requireLink(first.attachment.pod, first.attachment.ifname, run);
    ensure(
      after.ifindex === before.ifindex && after.address === before.address,
      "first attachment changed",
      run,
    );
    ensure((await linkNames(second.pod)).length === 0, "the second pod got a link", run);
  },
});

cases.push({
  rule: "MVT-del-everywhere",
  name: "after DEL the macvtap is in neither netns and /dev/tapN is gone",
  versions: macvtapVersions,
  fn: async (ctx) => {
    const { sandbox, attachment, result } = await addAttachment(ctx);
    const { ifindex } = await requireLink(attachment.pod, attachment.ifname);
    const run = await sandbox.del(attachment, ctx.version, prevResultForDel(ctx.version, result));
    expectSuccess(run, "DEL");
    ensure((await linkNames(attachment.pod)).length === 0, "links left in the pod", run);
    const onNode = (await sandbox.node.node.links()).find((l) => l.ifindex === ifindex);
    ensure(!onNode, `the macvtap went back to the node as ${onNode?.ifname}`, run);
    ensure(tapNode(ifindex) === null, `/dev/tap${ifindex} still exists`, run);
  },
});

/** The macvtap device cases. */
export const MACVTAP_DEVICE_CASES: readonly CaseSpec[] = cases;
