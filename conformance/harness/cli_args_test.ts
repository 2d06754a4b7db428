import assert from "node:assert/strict";
import { parseArgs, UsageError } from "./cli_args.ts";
import { expand, loadConfig, loadDeviations } from "./cli_profile.ts";

Deno.test("cli args: a full command line, relative paths resolved against the user's directory", () => {
  const options = parseArgs([
    "--plugin",
    "bin/my-cni",
    "--config=net.json",
    "--versions",
    "1.1.0,0.4.0",
    "--node-setup",
    "ip link add x type veth peer name y",
    "--ipam",
    "--cni-path",
    "bin:/opt/cni/bin",
    "--rules",
    "DEL-*,ADD-link",
    "--report",
    "/tmp/r.json",
    "--junit",
    "out/r.xml",
  ], "/home/me");
  assert.deepEqual(options, {
    ipam: true,
    help: false,
    plugin: "/home/me/bin/my-cni",
    config: "/home/me/net.json",
    versions: ["0.4.0", "1.1.0"],
    nodeSetup: "ip link add x type veth peer name y",
    cniPath: "/home/me/bin:/opt/cni/bin",
    deviations: undefined,
    rules: ["DEL-*", "ADD-link"],
    report: "/tmp/r.json",
    junit: "/home/me/out/r.xml",
  });
});

Deno.test("cli args: without --plugin only the report paths are allowed", () => {
  assert.deepEqual(parseArgs(["--junit", "j.xml"], "/w"), {
    ipam: false,
    help: false,
    report: undefined,
    junit: "/w/j.xml",
  });
  assert.throws(() => parseArgs(["--versions", "1.0.0"], "/w"), /--versions needs --plugin/);
  assert.throws(() => parseArgs(["--ipam"], "/w"), /--ipam needs --plugin/);
});

Deno.test("cli args: every mistake is a usage error naming it", () => {
  const cases: [string[], RegExp][] = [
    [["--plugin", "p"], /--plugin needs --config/],
    [["--plugin", "p", "--config", "c", "--versions", "0.5.0"], /"0\.5\.0" is not a spec version/],
    [["--plugin"], /--plugin needs a value/],
    [["--plugin", "p", "--plugin", "q"], /--plugin given twice/],
    [["--frobnicate"], /unknown option "--frobnicate"/],
    [["plugin"], /unexpected argument "plugin"/],
    [["--ipam=yes"], /--ipam takes no value/],
    [["--plugin", "p", "--config", "c", "--rules", ","], /empty list/],
  ];
  for (const [args, message] of cases) {
    assert.throws(() => parseArgs(args, "/w"), (e) => e instanceof UsageError && message.test(e.message));
  }
});

Deno.test("cli profile: the config must be one plugin's object whose type names the plugin", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const write = (name: string, value: unknown) => {
      Deno.writeTextFileSync(`${dir}/${name}`, typeof value === "string" ? value : JSON.stringify(value));
      return `${dir}/${name}`;
    };
    assert.deepEqual(
      loadConfig(write("ok.json", { type: "ptp", ipam: { dataDir: "{{workDir}}/x" } }), "ptp"),
      {
        name: "conformance",
        type: "ptp",
        ipam: { dataDir: "{{workDir}}/x" },
      },
    );
    assert.throws(
      () => loadConfig(write("t.json", { type: "bridge" }), "ptp"),
      /has type "bridge" but the plugin is "ptp"/,
    );
    assert.throws(() => loadConfig(write("l.json", { plugins: [{ type: "ptp" }] }), "ptp"), /is a conflist/);
    assert.throws(
      () => loadConfig(write("p.json", { device: "{{device}}" }), "ptp"),
      /unknown placeholder \{\{device\}\}/,
    );
    assert.throws(() => loadConfig(write("j.json", "{nope"), "ptp"), UsageError);
    assert.throws(() => loadConfig(`${dir}/missing.json`, "ptp"), /--config .*missing\.json/);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("cli profile: deviations name known rules, a reason and spec versions", () => {
  const path = Deno.makeTempFileSync();
  try {
    Deno.writeTextFileSync(path, JSON.stringify({ "ERR-version": { reason: "skel", versions: ["1.0.0"] } }));
    assert.deepEqual(loadDeviations(path), { "ERR-version": { reason: "skel", versions: ["1.0.0"] } });
    for (
      const bad of [{ "NO-RULE": { reason: "x" } }, { "ERR-version": {} }, {
        "ERR-version": { reason: "x", versions: ["2"] },
      }]
    ) {
      Deno.writeTextFileSync(path, JSON.stringify(bad));
      assert.throws(() => loadDeviations(path), UsageError, JSON.stringify(bad));
    }
  } finally {
    Deno.removeSync(path);
  }
});

Deno.test("cli profile: placeholders are expanded in every string, unknown values kept", () => {
  const config = {
    device: "hd{{attachment}}",
    ipam: { dataDir: "{{workDir}}/ipam", ranges: [["{{attachment}}"]] },
    mtu: 1500,
  };
  assert.deepEqual(expand(config, { workDir: "/w", attachment: "3" }), {
    device: "hd3",
    ipam: { dataDir: "/w/ipam", ranges: [["3"]] },
    mtu: 1500,
  });
  assert.deepEqual(expand(config, { workDir: "/w" }), {
    ...config,
    ipam: { ...config.ipam, dataDir: "/w/ipam" },
  });
});
