// CHECK (rules CHECK-*): from 0.4.0 on it verifies the attachment against prevResult.
import {
  deleteRoute,
  findRoute,
  kernelRoutes,
  resultAddresses,
  resultRoutes,
} from "../harness/addressing.ts";
import { type CaseSpec, notApplicable } from "../harness/cases.ts";
import { ensure, expectError, expectSuccess } from "../../testing/expect.ts";
import { versionHasCheck } from "../harness/profile.ts";
import { addAttachment, requireIps } from "../harness/steps.ts";

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
  rule: "CHECK-missing-address",
  name: "CHECK fails after an address of the result was deleted out of band",
  versions: withCheck,
  fn: async (ctx) => {
    const { sandbox, attachment, result, run } = await addAttachment(ctx);
    const [address] = resultAddresses(result, ctx.version, attachment.ifname, attachment.pod.path);
    requireIps(ctx, address ? 1 : 0, run);
    if (!address) return; // requireIps has ended the case
    expectSuccess(await sandbox.check(attachment, ctx.version, result), "CHECK before the change");
    await attachment.pod.ip("addr", "del", address.text, "dev", attachment.ifname);
    expectError(await sandbox.check(attachment, ctx.version, result), `CHECK with ${address.text} deleted`);
  },
});

cases.push({
  rule: "CHECK-missing-route",
  name: "CHECK fails after a route of the result was deleted out of band",
  versions: withCheck,
  fn: async (ctx) => {
    const { sandbox, attachment, result, run } = await addAttachment(ctx);
    const [route] = resultRoutes(result, ctx.version);
    if (!route) notApplicable("the result lists no routes");
    const kernelRoute = findRoute(await kernelRoutes(attachment.pod), route);
    ensure(kernelRoute, `the result lists a route to ${route.dst.text} that the pod does not have`, run);
    expectSuccess(await sandbox.check(attachment, ctx.version, result), "CHECK before the change");
    await deleteRoute(attachment.pod, kernelRoute);
    expectError(
      await sandbox.check(attachment, ctx.version, result),
      `CHECK with the route to ${route.dst.text} deleted`,
    );
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
