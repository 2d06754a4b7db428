// DEL (rules DEL-*): removes the interface, and succeeds whenever there is nothing left to remove.
import { ANY_VERSION, type CaseSpec } from "../harness/cases.ts";
import { ensure, expectSuccess } from "../harness/expect.ts";
import { versionHasCheck } from "../harness/profile.ts";
import { addAttachment, prevResultForDel } from "../harness/steps.ts";

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

/** The del cases. */
export const DEL_CASES: readonly CaseSpec[] = cases;
