// The 1.1.0 verbs GC and STATUS (rules GC-*, STATUS-*), for profiles that implement them.
import { type CaseContext, type CaseSpec, notApplicable } from "../harness/cases.ts";
import { ensure, expectError, expectSuccess, sameMac } from "../../testing/expect.ts";
import { versionHasGcStatus } from "../harness/profile.ts";
import type { PluginRun } from "../../testing/plugin_exec.ts";
import { addAttachment, gc, requireLink, runtimeEnv } from "../harness/steps.ts";

const cases: CaseSpec[] = [];

/** STATUS as libcni sends it, with the profile's config at `version`. */
export async function status(ctx: CaseContext, version: string): Promise<PluginRun> {
  const sandbox = await ctx.sandbox();
  const config = sandbox.config(version, await sandbox.attachment());
  return sandbox.exec(runtimeEnv("STATUS", ctx.profile), JSON.stringify(config));
}

/** Ends a GC or STATUS case of a profile without them as n/a. */
export function requireGcStatus(ctx: CaseContext): void {
  if (!ctx.profile.features.gcStatus) notApplicable("the profile implements no GC/STATUS");
}

cases.push({
  rule: "STATUS-ready",
  name: "STATUS exits 0",
  versions: (p) => p.versions.filter(versionHasGcStatus),
  fn: async (ctx) => {
    requireGcStatus(ctx);
    expectSuccess(await status(ctx, ctx.version), "STATUS");
  },
});

cases.push({
  rule: "GC-keeps-valid",
  name: "GC listing the attachment succeeds silently and leaves it working",
  versions: (p) => p.versions.filter(versionHasGcStatus),
  fn: async (ctx) => {
    requireGcStatus(ctx);
    const { sandbox, attachment, result, mac } = await addAttachment(ctx);
    const run = expectSuccess(await gc(sandbox, ctx.version, attachment, [attachment]), "GC");
    ensure(run.stdout.trim() === "", "GC printed something on success", run);
    const link = await requireLink(attachment.pod, attachment.ifname, run);
    ensure(sameMac(link.address, mac), `GC changed the MAC to ${link.address}`, run);
    expectSuccess(await sandbox.check(attachment, ctx.version, result), "CHECK after GC");
  },
});

cases.push({
  rule: "GC-STATUS-old-version",
  name: "GC and STATUS with a pre-1.1.0 config give code 1",
  versions: (p) => p.versions.filter((v) => !versionHasGcStatus(v)),
  fn: async (ctx) => {
    requireGcStatus(ctx);
    const sandbox = await ctx.sandbox();
    const attachment = await sandbox.attachment();
    expectError(await gc(sandbox, ctx.version, attachment, []), `GC at ${ctx.version}`, { code: 1 });
    expectError(await status(ctx, ctx.version), `STATUS at ${ctx.version}`, { code: 1 });
  },
});

/** The gc status cases. */
export const GC_STATUS_CASES: readonly CaseSpec[] = cases;
