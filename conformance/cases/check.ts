// CHECK (rules CHECK-*): from 0.4.0 on it verifies the attachment against prevResult.
import { type CaseSpec } from "../harness/cases.ts";
import { expectError, expectSuccess } from "../harness/expect.ts";
import { versionHasCheck } from "../harness/profile.ts";
import { addAttachment } from "../harness/steps.ts";

const cases: CaseSpec[] = [];

const withCheck = (p: { versions: readonly string[] }) => p.versions.filter(versionHasCheck);
const withoutCheck = (p: { versions: readonly string[] }) => p.versions.filter((v) => !versionHasCheck(v));

cases.push({
  rule: "CHECK-after-add",
  name: "CHECK right after ADD succeeds",
  versions: withCheck,
  fn: async (ctx) => {
    const { sandbox, attachment, result } = await addAttachment(ctx);
    expectSuccess(await sandbox.check(attachment, ctx.version, result), "CHECK after ADD");
  },
});

cases.push({
  rule: "CHECK-old-version",
  name: "CHECK with a pre-0.4.0 config gives code 1",
  versions: withoutCheck,
  fn: async (ctx) => {
    const { sandbox, attachment, result } = await addAttachment(ctx);
    expectError(await sandbox.check(attachment, ctx.version, result), `CHECK at ${ctx.version}`, { code: 1 });
  },
});

cases.push({
  rule: "CHECK-missing-link",
  name: "CHECK fails after the interface was deleted out of band",
  versions: withCheck,
  fn: async (ctx) => {
    const { sandbox, attachment, result } = await addAttachment(ctx);
    await attachment.pod.ip("link", "del", attachment.ifname);
    expectError(await sandbox.check(attachment, ctx.version, result), "CHECK with the interface gone");
  },
});

cases.push({
  rule: "CHECK-no-prevresult",
  name: "CHECK without prevResult fails",
  versions: withCheck,
  fn: async (ctx) => {
    const { sandbox, attachment } = await addAttachment(ctx);
    expectError(await sandbox.run("CHECK", attachment, ctx.version), "CHECK without prevResult");
  },
});

/** The check cases. */
export const CHECK_CASES: readonly CaseSpec[] = cases;
