// VERSION probing and version negotiation (rules VERSION-*).
import { ANY_VERSION, type CaseContext, type CaseSpec } from "../harness/cases.ts";
import { ensure, expectError, expectSuccess } from "../../testing/expect.ts";
import type { PluginRun } from "../../testing/plugin_exec.ts";
import { probeVersion } from "../harness/plugin_version.ts";

const cases: CaseSpec[] = [];

interface VersionAnswer {
  cniVersion?: unknown;
  supportedVersions?: unknown;
}

function probe({ profile, version }: CaseContext): Promise<PluginRun> {
  return probeVersion(`${profile.binDir}/${profile.type}`, version);
}

cases.push({
  rule: "VERSION-env",
  name: "VERSION with only CNI_COMMAND meaningful answers JSON",
  needsRoot: false,
  fn: async (ctx) => {
    const run = expectSuccess(await probe(ctx), "VERSION");
    ensure(run.json !== null && typeof run.json === "object", "VERSION: stdout is not a JSON object", run);
  },
});

cases.push({
  rule: "VERSION-list",
  name: "supportedVersions includes the version",
  needsRoot: false,
  fn: async (ctx) => {
    const run = expectSuccess(await probe(ctx), "VERSION");
    const list = (run.json as VersionAnswer | null)?.supportedVersions;
    ensure(Array.isArray(list), "VERSION: no supportedVersions array", run);
    ensure(list.includes(ctx.version), `VERSION: supportedVersions lacks "${ctx.version}"`, run);
  },
});

cases.push({
  rule: "VERSION-echo",
  name: "VERSION echoes the cniVersion it got",
  needsRoot: false,
  fn: async (ctx) => {
    const run = expectSuccess(await probe(ctx), "VERSION");
    const answered = (run.json as VersionAnswer | null)?.cniVersion;
    ensure(
      answered === ctx.version,
      `VERSION: cniVersion ${JSON.stringify(answered)}, asked "${ctx.version}"`,
      run,
    );
  },
});

cases.push({
  rule: "VERSION-unsupported",
  name: "ADD with cniVersion 9.9.9 gives code 1",
  versions: ANY_VERSION,
  fn: async (ctx) => {
    const sandbox = await ctx.sandbox();
    const attachment = await sandbox.attachment();
    const run = await sandbox.add(attachment, ctx.version, { patch: { cniVersion: "9.9.9" } });
    expectError(run, "ADD with cniVersion 9.9.9", { code: 1 });
    ensure(
      !(await attachment.pod.link(attachment.ifname)),
      "the refused ADD still created the interface",
      run,
    );
  },
});

/** The version cases. */
export const VERSION_CASES: readonly CaseSpec[] = cases;
