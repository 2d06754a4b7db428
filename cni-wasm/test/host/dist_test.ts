// The installable CNI bin folder (tools/build.ts writeCniDist + tools/launcher.sh):
// copied anywhere, run from any cwd with `env -i`, and granting Deno no more than
// its own folder, the CNI_* variables, libc and coreutils timeout.
import assert from "node:assert/strict";
import { CNI_ENV_NAMES } from "../../host/main.ts";
import { LIBC_PATH, probeDist, run, TEST_DENO_DIR } from "./_probe_dist.ts";

const DIST_FILES = ["deno", "macvtap", "macvtap-host.js", "macvtap.wasm"];

/** A temp dir removed on dispose. */
async function tempDir(prefix: string): Promise<{ path: string } & AsyncDisposable> {
  const path = await Deno.makeTempDir({ prefix });
  return { path, [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }) };
}

/** `cp <dist>/* <dir>/`, as an installer copies into a CNI bin dir (deno hard-linked to save space). */
async function install(into: string): Promise<void> {
  const dist = await probeDist();
  for (const name of DIST_FILES) {
    if (name === "deno") await Deno.link(`${dist}/deno`, `${into}/deno`);
    else await Deno.copyFile(`${dist}/${name}`, `${into}/${name}`);
  }
  await Deno.chmod(`${into}/macvtap`, 0o755);
}

Deno.test("dist: launcher executable, deno a hard link of this Deno, all four files present", async () => {
  const dist = await probeDist();
  assert.deepEqual([...Deno.readDirSync(dist)].map((e) => e.name).sort(), DIST_FILES);
  assert.ok(((await Deno.stat(`${dist}/macvtap`)).mode ?? 0) & 0o111);
  const [ours, theirs] = [await Deno.stat(`${dist}/deno`), await Deno.stat(Deno.execPath())];
  assert.deepEqual([ours.dev, ours.ino], [theirs.dev, theirs.ino]);
});

Deno.test("dist: copied into another bin dir, runs from a foreign cwd under env -i", async () => {
  await using bin = await tempDir("mvtest-cnibin-");
  await using cwd = await tempDir("mvtest-cwd-");
  await install(bin.path);
  // A cwd full of things Deno would otherwise pick up: config, lock, CommonJS package.json.
  await Deno.writeTextFile(`${cwd.path}/deno.json`, '{"imports": {"x": "./nope.ts"}, "lock": true}');
  await Deno.writeTextFile(`${cwd.path}/package.json`, '{"type": "commonjs"}');
  await Deno.writeTextFile(`${cwd.path}/deno.lock`, "not a lock file");
  const result = await run("/usr/bin/env", [
    "-i",
    "CNI_COMMAND=VERSION",
    "PATH=/usr/bin:/bin",
    `MACVTAP_DENO_DIR=${TEST_DENO_DIR}`,
    `${bin.path}/macvtap`,
    "env",
  ], {
    cwd: cwd.path,
  });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stderr, "");
  assert.ok(result.stdout.includes("env=CNI_COMMAND=VERSION"), result.stdout);
  const left = [...Deno.readDirSync(cwd.path)].map((e) => e.name).sort();
  assert.deepEqual(left, ["deno.json", "deno.lock", "package.json"], "nothing written to the cwd");
});

Deno.test("dist: a symlink to the launcher (e.g. from another bin dir) still finds its folder", async () => {
  await using elsewhere = await tempDir("mvtest-link-");
  const dist = await probeDist();
  await Deno.symlink(`${dist}/macvtap`, `${elsewhere.path}/macvtap`);
  const result = await run(`${elsewhere.path}/macvtap`, ["exit", "5"], {
    env: { MACVTAP_DENO_DIR: TEST_DENO_DIR },
  });
  assert.equal(result.code, 5, result.stderr);
});

/** Runs the launcher with `deno` replaced by a recorder; returns Deno's argv and environment. */
async function recordDenoInvocation(): Promise<{ args: string[]; env: Map<string, string>; dir: string }> {
  await using bin = await tempDir("mvtest-record-");
  await install(bin.path);
  await Deno.remove(`${bin.path}/deno`);
  await Deno.writeTextFile(
    `${bin.path}/deno`,
    `#!/bin/sh\nprintf '%s\\n' "$@" > "\${0%/*}/args"\nenv > "\${0%/*}/env"\n`,
  );
  await Deno.chmod(`${bin.path}/deno`, 0o755);
  const env = {
    CNI_COMMAND: "ADD",
    CNI_NETNS: "/run/netns/x",
    PATH: "/usr/bin:/bin",
    HOME: "/root",
    OTHER: "1",
  };
  await run(`${bin.path}/macvtap`, [], { env });
  const args = (await Deno.readTextFile(`${bin.path}/args`)).trimEnd().split("\n");
  const recorded = (await Deno.readTextFile(`${bin.path}/env`)).trimEnd().split("\n")
    .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)] as [string, string]);
  return {
    args,
    env: new Map(recorded.filter(([name]) => name !== "PWD")),
    dir: await Deno.realPath(bin.path),
  };
}

Deno.test("launcher: Deno gets exactly the narrow flags and a clean environment", async () => {
  const { args, env, dir } = await recordDenoInvocation();
  const flags = args.filter((arg) => arg.startsWith("--allow") || arg === "-A");
  assert.deepEqual(flags, [
    `--allow-read=${dir}`,
    `--allow-env=${[...CNI_ENV_NAMES, "PATH"].join(",")}`,
    `--allow-ffi=${LIBC_PATH}`,
    "--allow-run=/usr/bin/timeout",
  ]);
  for (const needed of ["--no-config", "--no-lock", "--no-prompt", "--no-npm", "--no-remote"]) {
    assert.ok(args.includes(needed), needed);
  }
  assert.deepEqual(
    [...env.keys()].sort(),
    [
      "CNI_COMMAND",
      "CNI_NETNS",
      "DENO_DIR",
      "DENO_NO_PACKAGE_JSON",
      "DENO_NO_UPDATE_CHECK",
      "NO_COLOR",
      "PATH",
    ],
  );
  assert.equal(env.get("DENO_DIR"), "/var/cache/macvtap-cni", "its own cache folder, not root's home");
});

Deno.test("permission boundary: with the launcher's flags the host cannot read a module outside its folder", async () => {
  const { args } = await recordDenoInvocation();
  const dist = await probeDist();
  await using outside = await tempDir("mvtest-outside-");
  await Deno.copyFile(`${dist}/macvtap.wasm`, `${outside.path}/macvtap.wasm`);
  // Same flags as recorded, but the folder the launcher granted is the probe dist, and the module lies outside it.
  const hostAt = args.findIndex((arg) => arg.endsWith("/macvtap-host.js"));
  const flags = args.slice(0, hostAt).map((arg) =>
    arg.startsWith("--allow-read=") ? `--allow-read=${dist}` : arg
  );
  const result = await run(`${dist}/deno`, [
    ...flags,
    `${dist}/macvtap-host.js`,
    `${outside.path}/macvtap.wasm`,
    LIBC_PATH,
    "--",
    "exit",
    "0",
  ]);
  assert.equal(result.code, 1);
  const error = JSON.parse(result.stdout);
  assert.equal(error.code, 999);
  assert.match(error.details, /NotCapable: Requires read access/);
});
