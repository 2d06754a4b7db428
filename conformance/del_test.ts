// DEL (rules DEL-*): removes the interface, and succeeds whenever there is nothing left to remove.
import { ANY_VERSION, conformanceCase } from "./harness/cases.ts";
import { ensure, expectSuccess } from "./harness/expect.ts";
import { versionHasCheck } from "./harness/profile.ts";
import { addAttachment, prevResultForDel } from "./harness/steps.ts";
import { PROFILES } from "./profiles/mod.ts";

conformanceCase({
  rule: "DEL-removes",
  name: "DEL removes the interface from the pod",
  profiles: PROFILES,
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

conformanceCase({
  rule: "DEL-twice",
  name: "a second DEL succeeds",
  profiles: PROFILES,
  fn: async (ctx) => {
    const { sandbox, attachment, result } = await addAttachment(ctx);
    const prevResult = prevResultForDel(ctx.version, result);
    expectSuccess(await sandbox.del(attachment, ctx.version, prevResult), "first DEL");
    expectSuccess(await sandbox.del(attachment, ctx.version, prevResult), "second DEL");
  },
});

conformanceCase({
  rule: "DEL-never-added",
  name: "DEL of an attachment never added succeeds",
  profiles: PROFILES,
  versions: ANY_VERSION,
  fn: async (ctx) => {
    const sandbox = await ctx.sandbox();
    expectSuccess(await sandbox.del(await sandbox.attachment(), ctx.version), "DEL without ADD");
  },
});

conformanceCase({
  rule: "DEL-netns-gone",
  name: "DEL succeeds after the pod netns was deleted",
  profiles: PROFILES,
  fn: async (ctx) => {
    const { sandbox, attachment, result } = await addAttachment(ctx);
    await attachment.pod[Symbol.asyncDispose]();
    const run = await sandbox.del(attachment, ctx.version, prevResultForDel(ctx.version, result));
    expectSuccess(run, "DEL with CNI_NETNS deleted");
  },
});

conformanceCase({
  rule: "DEL-netns-empty",
  name: "DEL succeeds with CNI_NETNS empty",
  profiles: PROFILES,
  fn: async (ctx) => {
    const { sandbox, attachment, result } = await addAttachment(ctx);
    const prevResult = prevResultForDel(ctx.version, result);
    expectSuccess(await sandbox.del(attachment, ctx.version, prevResult, { env: { CNI_NETNS: "" } }), "DEL");
  },
});

conformanceCase({
  rule: "DEL-no-prevresult",
  name: "DEL without prevResult succeeds",
  profiles: PROFILES,
  versions: (p) => p.versions.filter(versionHasCheck),
  fn: async (ctx) => {
    const { sandbox, attachment } = await addAttachment(ctx);
    expectSuccess(await sandbox.del(attachment, ctx.version), "DEL without prevResult");
  },
});
