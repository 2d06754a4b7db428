// DEL (rules DEL-*): removes the interface, and succeeds whenever there is nothing left to remove.
import { ANY_VERSION, type CaseSpec } from "../harness/cases.ts";
import { ensure, expectSuccess, fail } from "../../testing/expect.ts";
import { compareVersions, versionHasCheck } from "../harness/profile.ts";
import { probeVersion, supportedVersionsOf } from "../harness/plugin_version.ts";
import {
  addAttachment,
  expectAddResult,
  nodeLinkNames,
  otherPodLinks,
  prevResultForDel,
  requireLink,
  warmUp,
} from "../harness/steps.ts";

const cases: CaseSpec[] = [];

cases.push({
  rule: "DEL-removes",
  name: "DEL removes the interface from the pod",
  fn: async (ctx) => {
    const { sandbox, attachment, result } = await addAttachment(ctx);
    const run = expectSuccess(
      await sandbox.del(attachment, ctx.version, prevResultForDel(ctx.version, result)),
      "DEL",
    );
    ensure(
      !(await attachment.pod.link(attachment.ifname)),
      "the interface is still in the pod after DEL",
      run,
    );
  },
});

cases.push({
  rule: "DEL-twice",
  name: "a second DEL succeeds",
  fn: async (ctx) => {
    const { sandbox, attachment, result } = await addAttachment(ctx);
    const prevResult = prevResultForDel(ctx.version, result);
    expectSuccess(await sandbox.del(attachment, ctx.version, prevResult), "first DEL");
    expectSuccess(await sandbox.del(attachment, ctx.version, prevResult), "second DEL");
  },
});

cases.push({
  rule: "DEL-never-added",
  name: "DEL of an attachment never added succeeds",
  versions: ANY_VERSION,
  fn: async (ctx) => {
    const sandbox = await ctx.sandbox();
    expectSuccess(await sandbox.del(await sandbox.attachment(), ctx.version), "DEL without ADD");
  },
});

cases.push({
  rule: "DEL-netns-gone",
  name: "DEL succeeds after the pod netns was deleted",
  fn: async (ctx) => {
    const { sandbox, attachment, result } = await addAttachment(ctx);
    await attachment.pod[Symbol.asyncDispose]();
    const run = await sandbox.del(attachment, ctx.version, prevResultForDel(ctx.version, result));
    expectSuccess(run, "DEL with CNI_NETNS deleted");
  },
});

cases.push({
  rule: "DEL-netns-empty",
  name: "DEL succeeds with CNI_NETNS empty",
  fn: async (ctx) => {
    const { sandbox, attachment, result } = await addAttachment(ctx);
    const prevResult = prevResultForDel(ctx.version, result);
    expectSuccess(await sandbox.del(attachment, ctx.version, prevResult, { env: { CNI_NETNS: "" } }), "DEL");
  },
});

cases.push({
  rule: "DEL-no-prevresult",
  name: "DEL without prevResult succeeds",
  versions: (p) => p.versions.filter(versionHasCheck),
  fn: async (ctx) => {
    const { sandbox, attachment } = await addAttachment(ctx);
    expectSuccess(await sandbox.del(attachment, ctx.version), "DEL without prevResult");
  },
});

cases.push({
  rule: "DEL-accepted-versions",
  name: "DEL never added, and with CNI_NETNS deleted, succeeds at every version VERSION lists",
  versions: ANY_VERSION,
  fn: async (ctx) => {
    const answer = await probeVersion(`${ctx.profile.binDir}/${ctx.profile.type}`, ctx.version);
    const listed = supportedVersionsOf(answer) ?? fail("VERSION gave no supportedVersions list", answer);
    // Not newer than the newest tested version: the config's delegates (IPAM) may not speak those, and
    // a plugin must pass their errors on (SPEC §4).
    const versions = listed.filter((v) => compareVersions(v, ctx.version) <= 0);
    const sandbox = await ctx.sandbox();
    for (const version of versions) {
      const attachment = await sandbox.attachment();
      expectSuccess(await sandbox.del(attachment, version), `DEL at ${version} of an attachment never added`);
      await attachment.pod[Symbol.asyncDispose]();
      expectSuccess(await sandbox.del(attachment, version), `DEL at ${version} with CNI_NETNS deleted`);
    }
  },
});

cases.push({
  rule: "DEL-leaves-nothing",
  name: "ADD then DEL (after a first attachment made what is shared) adds no link to the node or pod",
  versions: ANY_VERSION,
  fn: async (ctx) => {
    const sandbox = await warmUp(ctx);
    const attachment = await sandbox.attachment();
    const before = await nodeLinkNames(sandbox);
    const result = expectAddResult(await sandbox.add(attachment, ctx.version), ctx.version);
    const run = await sandbox.del(attachment, ctx.version, prevResultForDel(ctx.version, result));
    expectSuccess(run, "DEL");
    const left = (await nodeLinkNames(sandbox)).filter((name) => !before.includes(name));
    ensure(left.length === 0, `links ADD made are still on the node after DEL: ${left.join(", ")}`, run);
    const inPod = await otherPodLinks(attachment.pod);
    ensure(inPod.length === 0, `links are still in the pod after DEL: ${inPod.join(", ")}`, run);
  },
});

cases.push({
  rule: "ADD-after-del",
  name: "ADD, DEL, then ADD of the same container ID, ifname and pod works",
  versions: ANY_VERSION,
  fn: async (ctx) => {
    const { sandbox, attachment, result } = await addAttachment(ctx);
    expectSuccess(await sandbox.del(attachment, ctx.version, prevResultForDel(ctx.version, result)), "DEL");
    // Prepared again: a device the node setup hands over may be gone with the first DEL.
    const again = await sandbox.attachment({ ...attachment });
    const run = await sandbox.add(again, ctx.version);
    const second = expectAddResult(run, ctx.version);
    await requireLink(again.pod, again.ifname, run);
    expectSuccess(await sandbox.del(again, ctx.version, prevResultForDel(ctx.version, second)), "second DEL");
  },
});

/** The del cases. */
export const DEL_CASES: readonly CaseSpec[] = cases;
