// The CNI_* environment (rules ENV-*): required variables, container ID and ifname syntax, unknown verbs.
import { ANY_VERSION, type CaseContext, type CaseSpec } from "../harness/cases.ts";
import { ensure, expectError, fail } from "../../testing/expect.ts";
import { versionHasCheck, versionHasGcStatus } from "../harness/profile.ts";
import type { PluginRun } from "../../testing/plugin_exec.ts";
import { addAttachment, nodeLinkNames, otherPodLinks, prevResultForDel, warmUp } from "../harness/steps.ts";
import { requireGcStatus } from "./gc_status.ts";

const cases: CaseSpec[] = [];

/** SPEC 1.0.0 §2 "Required environment parameters" per verb (CNI_COMMAND aside: it selects the verb). */
const REQUIRED: Record<string, readonly string[]> = {
  ADD: ["CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME"],
  CHECK: ["CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME"],
  DEL: ["CNI_CONTAINERID", "CNI_IFNAME"],
};

/** Runs `command` once per required variable, each time without it, and wants code 4 naming it. */
async function missingEachVariable(ctx: CaseContext, command: string): Promise<void> {
  const sandbox = await ctx.sandbox();
  for (const variable of REQUIRED[command] ?? []) {
    const attachment = await sandbox.attachment();
    const run = await sandbox.run(command, attachment, ctx.version, { env: { [variable]: undefined } });
    expectError(run, `${command} without ${variable}`, { code: 4, mentions: [variable] });
    ensure(
      !(await attachment.pod.link(attachment.ifname)),
      `${command} without ${variable} created a link`,
      run,
    );
  }
}

for (const command of Object.keys(REQUIRED)) {
  cases.push({
    rule: "ENV-missing",
    name: `${command} without each required variable gives code 4 naming it`,
    versions: (p) => command === "CHECK" ? p.versions.filter(versionHasCheck) : p.versions,
    fn: (ctx) => missingEachVariable(ctx, command),
  });
}

cases.push({
  rule: "ENV-missing",
  name: "GC without CNI_PATH gives code 4 naming it",
  versions: (p) => p.versions.filter(versionHasGcStatus),
  fn: async (ctx) => {
    requireGcStatus(ctx);
    const sandbox = await ctx.sandbox();
    const config = sandbox.config(ctx.version, await sandbox.attachment(), {
      "cni.dev/valid-attachments": [],
    });
    const run = await sandbox.exec({ CNI_COMMAND: "GC" }, JSON.stringify(config));
    expectError(run, "GC without CNI_PATH", { code: 4, mentions: ["CNI_PATH"] });
  },
});

/** Without CNI_PATH a plugin may work (the spec calls it optional) or refuse like libcni's skel. */
function expectWorksOrPathError(run: PluginRun, what: string): void {
  if (run.code !== 0) expectError(run, `${what} without CNI_PATH`, { code: 4, mentions: ["CNI_PATH"] });
}

cases.push({
  rule: "ENV-path",
  name: "ADD, CHECK and DEL without CNI_PATH work or give code 4 naming it",
  versions: ANY_VERSION,
  fn: async (ctx) => {
    const noPath = { env: { CNI_PATH: undefined } };
    const sandbox = await ctx.sandbox();
    expectWorksOrPathError(await sandbox.add(await sandbox.attachment(), ctx.version, noPath), "ADD");
    const { attachment, result } = await addAttachment(ctx);
    if (versionHasCheck(ctx.version)) {
      expectWorksOrPathError(await sandbox.check(attachment, ctx.version, result, noPath), "CHECK");
    }
    expectWorksOrPathError(
      await sandbox.del(attachment, ctx.version, prevResultForDel(ctx.version, result), noPath),
      "DEL",
    );
  },
});

const BAD_CONTAINER_IDS = ["-leading-dash", "has space", "slash/inside", "semi;colon"];

cases.push({
  rule: "ENV-containerid",
  name: "ADD with an invalid CNI_CONTAINERID gives code 4",
  fn: async (ctx) => {
    const sandbox = await ctx.sandbox();
    for (const containerId of BAD_CONTAINER_IDS) {
      const attachment = await sandbox.attachment({ containerId });
      const run = await sandbox.add(attachment, ctx.version);
      expectError(run, `ADD with CNI_CONTAINERID ${JSON.stringify(containerId)}`, { code: 4 });
    }
  },
});

const BAD_IFNAMES = ["a/b", "a:b", "has space", "tab\there", "sixteen-bytes-xx", ".", ".."];

cases.push({
  rule: "ENV-ifname",
  name: "ADD with an unusable CNI_IFNAME gives code 4",
  fn: async (ctx) => {
    const sandbox = await ctx.sandbox();
    for (const ifname of BAD_IFNAMES) {
      const attachment = await sandbox.attachment({ ifname });
      const run = await sandbox.add(attachment, ctx.version);
      expectError(run, `ADD with CNI_IFNAME ${JSON.stringify(ifname)}`, { code: 4 });
      const links = (await attachment.pod.links()).map((l) => l.ifname);
      if (links.some((name) => name !== "lo")) fail(`the refused ADD left links in the pod: ${links}`, run);
    }
  },
});

cases.push({
  rule: "ENV-ifname-pattern",
  name: "ADD with CNI_IFNAME net%d gives code 4; after it and a DEL no link is left anywhere",
  versions: ANY_VERSION,
  fn: async (ctx) => {
    const sandbox = await warmUp(ctx);
    const attachment = await sandbox.attachment({ ifname: "net%d" });
    const before = await nodeLinkNames(sandbox);
    const run = await sandbox.add(attachment, ctx.version);
    // The runtime calls DEL after a failed ADD; whatever it answers, it is the last chance to clean up.
    await sandbox.del(attachment, ctx.version);
    const inPod = await otherPodLinks(attachment.pod);
    const onNode = (await nodeLinkNames(sandbox)).filter((name) => !before.includes(name));
    const left = [
      ...inPod.map((name) => `${name} in the pod`),
      ...onNode.map((name) => `${name} on the node`),
    ];
    ensure(left.length === 0, `after ADD and DEL of net%d links are left: ${left.join(", ")}`, run);
    expectError(run, "ADD with CNI_IFNAME net%d", { code: 4 });
  },
});

cases.push({
  rule: "ENV-command",
  name: "an unknown CNI_COMMAND gives code 4",
  versions: ANY_VERSION,
  fn: async (ctx) => {
    const sandbox = await ctx.sandbox();
    const run = await sandbox.run("FROBNICATE", await sandbox.attachment(), ctx.version);
    expectError(run, "CNI_COMMAND=FROBNICATE", { code: 4 });
  },
});

/** The env cases. */
export const ENV_CASES: readonly CaseSpec[] = cases;
