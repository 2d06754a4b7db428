// stdin decoding, the network name, and the shape of error output (rules CONF-*, ERR-*).
import { ANY_VERSION, type CaseSpec } from "../harness/cases.ts";
import { ensure, expectError } from "../../testing/expect.ts";
import type { PluginRun } from "../../testing/plugin_exec.ts";
import type { Sandbox } from "../harness/sandbox.ts";

const cases: CaseSpec[] = [];

cases.push({
  rule: "CONF-decode",
  name: "stdin that is not JSON gives code 6",
  versions: ANY_VERSION,
  fn: async (ctx) => {
    const sandbox = await ctx.sandbox();
    const run = await sandbox.add(await sandbox.attachment(), ctx.version, {
      stdin: '{"cniVersion": "1.0.0", nope',
    });
    expectError(run, "ADD with broken JSON", { code: 6 });
  },
});

cases.push({
  rule: "CONF-name",
  name: "a missing or malformed name gives code 7",
  versions: ANY_VERSION,
  fn: async (ctx) => {
    const sandbox = await ctx.sandbox();
    for (const name of [undefined, "", "-starts-with-dash", "has space"]) {
      const run = await sandbox.add(await sandbox.attachment(), ctx.version, { patch: { name } });
      expectError(run, `ADD with name ${JSON.stringify(name)}`, { code: 7 });
    }
  },
});

/** Errors of several kinds, as a runtime would provoke them. */
async function provokeErrors(sandbox: Sandbox, version: string): Promise<[string, PluginRun][]> {
  const attachment = () => sandbox.attachment();
  return [
    ["broken JSON", await sandbox.add(await attachment(), version, { stdin: "{" })],
    ["missing name", await sandbox.add(await attachment(), version, { patch: { name: undefined } })],
    ["unknown command", await sandbox.run("FROBNICATE", await attachment(), version)],
    ["bad ifname", await sandbox.add(await sandbox.attachment({ ifname: "a/b" }), version)],
  ];
}

cases.push({
  rule: "ERR-stdout",
  name: "errors exit non-zero with {code, msg} on stdout",
  versions: ANY_VERSION,
  fn: async (ctx) => {
    for (const [what, run] of await provokeErrors(await ctx.sandbox(), ctx.version)) expectError(run, what);
  },
});

cases.push({
  rule: "ERR-version",
  name: "the error JSON carries the config's cniVersion",
  fn: async (ctx) => {
    const sandbox = await ctx.sandbox();
    const run = await sandbox.add(await sandbox.attachment({ ifname: "a/b" }), ctx.version);
    const error = expectError(run, "ADD with a bad ifname");
    ensure(error.cniVersion === ctx.version, `error cniVersion ${JSON.stringify(error.cniVersion)}`, run);
  },
});

/** The config cases. */
export const CONFIG_CASES: readonly CaseSpec[] = cases;
