// The 1.1.0 verbs GC and STATUS (rules GC-*, STATUS-*), for profiles that implement them.
import { type CaseContext, conformanceCase, notApplicable } from "./harness/cases.ts";
import { ensure, expectError, expectSuccess, sameMac } from "./harness/expect.ts";
import { versionHasGcStatus } from "./harness/profile.ts";
import type { PluginRun } from "./harness/runner.ts";
import { addAttachment, gc, requireLink, runtimeEnv } from "./harness/steps.ts";
import { PROFILES } from "./profiles/mod.ts";

async function status(ctx: CaseContext, version: string): Promise<PluginRun> {
  const sandbox = await ctx.sandbox();
  const config = sandbox.config(version, await sandbox.attachment());
  return sandbox.exec(runtimeEnv("STATUS", ctx.profile), JSON.stringify(config));
}

const GC_PROFILES = PROFILES.filter((p) => p.features.gcStatus);

conformanceCase({
  rule: "STATUS-ready",
  name: "STATUS exits 0",
  profiles: GC_PROFILES,
  versions: (p) => p.versions.filter(versionHasGcStatus),
  fn: async (ctx) => void expectSuccess(await status(ctx, ctx.version), "STATUS"),
});

conformanceCase({
  rule: "GC-keeps-valid",
  name: "GC listing the attachment succeeds silently and leaves it working",
  profiles: GC_PROFILES,
  versions: (p) => p.versions.filter(versionHasGcStatus),
  fn: async (ctx) => {
    const { sandbox, attachment, result, mac } = await addAttachment(ctx);
    const run = expectSuccess(await gc(sandbox, ctx.version, attachment, [attachment]), "GC");
    ensure(run.stdout.trim() === "", "GC printed something on success", run);
    const link = await requireLink(attachment.pod, attachment.ifname, run);
    ensure(sameMac(link.address, mac), `GC changed the MAC to ${link.address}`, run);
    expectSuccess(await sandbox.check(attachment, ctx.version, result), "CHECK after GC");
  },
});

conformanceCase({
  rule: "GC-STATUS-old-version",
  name: "GC and STATUS with a pre-1.1.0 config give code 1",
  profiles: PROFILES,
  versions: (p) => p.versions.filter((v) => !versionHasGcStatus(v)),
  fn: async (ctx) => {
    if (!ctx.profile.features.gcStatus) notApplicable("the profile implements no GC/STATUS");
    const sandbox = await ctx.sandbox();
    const attachment = await sandbox.attachment();
    expectError(await gc(sandbox, ctx.version, attachment, []), `GC at ${ctx.version}`, { code: 1 });
    expectError(await status(ctx, ctx.version), `STATUS at ${ctx.version}`, { code: 1 });
  },
});
