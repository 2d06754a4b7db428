// Macvtap group, life cycle (the project's contract in harness/rules_macvtap.ts): rollback after a failed
// ADD, CHECK against the kernel, GC that leaves node links alone.
import { type CaseSpec } from "../harness/cases.ts";
import { ensure, expectError, expectSuccess } from "../../testing/expect.ts";
import { macvtapCheckVersions, macvtapVersions, tempNameOf } from "../harness/macvtap_node.ts";
import { linkNames } from "../../testing/pod_view.ts";
import { LOWER_LINK, versionHasGcStatus } from "../harness/profile.ts";
import type { Sandbox } from "../harness/sandbox.ts";
import { addAttachment, gc, requireLink } from "../harness/steps.ts";

const cases: CaseSpec[] = [];

/** The failed ADD must have left the temp link on the node, under its temp name (same ifindex). */
async function expectRolledBack(sandbox: Sandbox, tempName: string, ifindex: number): Promise<void> {
  const back = await sandbox.node.node.link(tempName);
  ensure(back, `temp link ${tempName} is not back on the node`);
  ensure(back.ifindex === ifindex, `temp link came back as ifindex ${back.ifindex}, was ${ifindex}`);
}

cases.push({
  rule: "MVT-rollback",
  name: "ADD failing after the move (mtu above the lower's) puts the temp link back",
  versions: macvtapVersions,
  fn: async (ctx) => {
    const sandbox = await ctx.sandbox();
    const attachment = await sandbox.attachment();
    const tempName = tempNameOf(attachment);
    const { ifindex } = await requireLink(sandbox.node.node, tempName);
    // Valid for the config (<= 65535) but the kernel refuses a macvtap MTU above its lower's 1500.
    const run = await sandbox.add(attachment, ctx.version, { patch: { mtu: 9000 } });
    expectError(run, "ADD with mtu 9000 on a 1500 lower");
    await expectRolledBack(sandbox, tempName, ifindex);
    ensure((await linkNames(attachment.pod)).length === 0, "links left in the pod", run);
  },
});

cases.push({
  rule: "MVT-rollback",
  name: "ADD onto an ifname taken in the pod puts the temp link back",
  versions: macvtapVersions,
  fn: async (ctx) => {
    const sandbox = await ctx.sandbox();
    const attachment = await sandbox.attachment();
    const tempName = tempNameOf(attachment);
    const { ifindex } = await requireLink(sandbox.node.node, tempName);
    await attachment.pod.addVeth(attachment.ifname, "confpeer0");
    const run = await sandbox.add(attachment, ctx.version);
    expectError(run, "ADD onto an existing ifname");
    await expectRolledBack(sandbox, tempName, ifindex);
    const names = (await linkNames(attachment.pod)).sort();
    ensure(names.join() === ["confpeer0", attachment.ifname].sort().join(), `pod links now ${names}`, run);
  },
});

/** [what, out-of-band change, config patch]: each must make CHECK fail. */
const DRIFTS: [string, string[], Record<string, unknown>][] = [
  ["MAC changed", ["address", "02:00:00:00:dd:01"], {}],
  ["link set down", ["down"], {}],
  ["MTU changed from the configured 1400", ["mtu", "1300"], { mtu: 1400 }],
];

cases.push({
  rule: "MVT-check-real",
  name: "CHECK fails after the MAC, state or MTU changed",
  versions: macvtapCheckVersions,
  fn: async (ctx) => {
    for (const [what, change, patch] of DRIFTS) {
      const { sandbox, attachment, result } = await addAttachment(ctx, { patch });
      expectSuccess(await sandbox.check(attachment, ctx.version, result, { patch }), `CHECK before: ${what}`);
      await attachment.pod.ip("link", "set", attachment.ifname, ...change);
      expectError(await sandbox.check(attachment, ctx.version, result, { patch }), `CHECK after: ${what}`);
    }
  },
});

cases.push({
  rule: "MVT-gc-foreign",
  name: "GC keeps an allocated-but-unattached temp link and the lower link",
  versions: (p) => p.versions.filter(versionHasGcStatus),
  fn: async (ctx) => {
    const { sandbox, attachment } = await addAttachment(ctx);
    const allocated = await sandbox.attachment();
    const before = (await linkNames(sandbox.node.node)).sort();
    const run = expectSuccess(await gc(sandbox, ctx.version, attachment, [attachment]), "GC");
    const after = (await linkNames(sandbox.node.node)).sort();
    ensure(after.join() === before.join(), `node links ${before} became ${after}`, run);
    ensure(after.includes(tempNameOf(allocated)) && after.includes(LOWER_LINK), "node links missing", run);
    await requireLink(attachment.pod, attachment.ifname, run);
  },
});

/** The macvtap lifecycle cases. */
export const MACVTAP_LIFECYCLE_CASES: readonly CaseSpec[] = cases;
