import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import {
  contentVersion,
  installCni,
  listDistFiles,
  PLUGIN_NAME,
  VERSIONS_DIR,
  wrapperScript,
} from "./install_cni.ts";

const REAL_DIST = fileURLToPath(new URL("../dist/cni", import.meta.url));

/** A fake dist folder whose launcher prints its own tag and its sibling's, to catch mixed versions. */
async function fakeDist(root: string, tag: string): Promise<string> {
  const dir = `${root}/dist-${tag}`;
  await Deno.mkdir(dir, { recursive: true });
  const launcher = [
    "#!/bin/sh",
    'dir=$(dirname "$(readlink -f -- "$0")")',
    `printf 'launcher=${tag} payload=%s args=%s\\n' "$(cat "$dir/payload")" "$*"`,
    "",
  ].join("\n");
  await Deno.writeTextFile(`${dir}/${PLUGIN_NAME}`, launcher, { mode: 0o755 });
  await Deno.chmod(`${dir}/${PLUGIN_NAME}`, 0o755);
  await Deno.writeTextFile(`${dir}/payload`, tag, { mode: 0o644 });
  return dir;
}

async function run(program: string, args: string[] = [], cwd = "/"): Promise<string> {
  const out = await new Deno.Command(program, { args, cwd, stdout: "piped", stderr: "piped" }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.ok(out.success, `${program} ${args.join(" ")} failed: ${stderr}`);
  return new TextDecoder().decode(out.stdout);
}

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "install-cni-test-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function names(dir: string): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of Deno.readDir(dir)) found.push(entry.name);
  return found.sort();
}

Deno.test("installCni() writes a version folder and a wrapper that runs it from any cwd", async () => {
  await withTempDir(async (root) => {
    const from = await fakeDist(root, "v1");
    const to = `${root}/bin`;
    await Deno.mkdir(to);
    const result = await installCni(from, to);
    assert.equal(result.version, await contentVersion(from, await listDistFiles(from)));
    assert.deepEqual({ ...result, version: "" }, {
      version: "",
      previous: null,
      replacedForeignPlugin: false,
      removed: [],
    });
    assert.deepEqual(await names(to), [PLUGIN_NAME, VERSIONS_DIR]);
    assert.deepEqual(await names(`${to}/${VERSIONS_DIR}/${result.version}`), [PLUGIN_NAME, "payload"]);
    assert.equal((await Deno.stat(`${to}/${PLUGIN_NAME}`)).mode! & 0o777, 0o755);
    assert.equal((await Deno.stat(`${to}/${VERSIONS_DIR}/${result.version}/payload`)).mode! & 0o777, 0o644);
    assert.equal(
      await run(`${to}/${PLUGIN_NAME}`, ["a b", "c"], root),
      "launcher=v1 payload=v1 args=a b c\n",
    );
  });
});

Deno.test("installCni() is idempotent, keeps the previous version and removes older ones", async () => {
  await withTempDir(async (root) => {
    const to = `${root}/bin`;
    await Deno.mkdir(to);
    const first = await installCni(await fakeDist(root, "v1"), to);
    const again = await installCni(`${root}/dist-v1`, to);
    assert.deepEqual(again, {
      version: first.version,
      previous: null,
      replacedForeignPlugin: false,
      removed: [],
    });
    const second = await installCni(await fakeDist(root, "v2"), to);
    assert.equal(second.previous, first.version);
    assert.deepEqual(second.removed, []);
    assert.deepEqual(await names(`${to}/${VERSIONS_DIR}`), [first.version, second.version].sort());
    const third = await installCni(await fakeDist(root, "v3"), to);
    assert.deepEqual(third.removed, [first.version]);
    assert.deepEqual(await names(`${to}/${VERSIONS_DIR}`), [second.version, third.version].sort());
    assert.equal(await run(`${to}/${PLUGIN_NAME}`), "launcher=v3 payload=v3 args=\n");
  });
});

Deno.test("installCni() replaces a foreign plugin binary and removes leftovers of a crashed install", async () => {
  await withTempDir(async (root) => {
    const to = `${root}/bin`;
    await Deno.mkdir(`${to}/${VERSIONS_DIR}/.${PLUGIN_NAME}-staging-deadbeef-1`, { recursive: true });
    await Deno.writeTextFile(`${to}/.${PLUGIN_NAME}-staging-${PLUGIN_NAME}-7`, "half a wrapper");
    await Deno.writeFile(`${to}/${PLUGIN_NAME}`, new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 0xff, 0xfe, 0]));
    await Deno.writeTextFile(`${to}/bridge`, "another plugin");
    const result = await installCni(await fakeDist(root, "v1"), to);
    assert.equal(result.replacedForeignPlugin, true);
    assert.deepEqual(await names(to), ["bridge", PLUGIN_NAME, VERSIONS_DIR]);
    assert.deepEqual(await names(`${to}/${VERSIONS_DIR}`), [result.version]);
    assert.equal(await Deno.readTextFile(`${to}/bridge`), "another plugin");
  });
});

Deno.test("installCni() refuses a folder without the launcher or with other entries", async () => {
  await withTempDir(async (root) => {
    const to = `${root}/bin`;
    await Deno.mkdir(to);
    const from = await fakeDist(root, "v1");
    await Deno.remove(`${from}/${PLUGIN_NAME}`);
    await assert.rejects(installCni(from, to), /no launcher "macvtap"/);
    await fakeDist(root, "v1");
    await Deno.mkdir(`${from}/nested`);
    await assert.rejects(installCni(from, to), /"nested" is not a regular file/);
    assert.deepEqual(await names(to), [], "a refused install writes nothing");
  });
});

Deno.test("an invocation during upgrades always runs one whole version, never a mix", async () => {
  await withTempDir(async (root) => {
    const to = `${root}/bin`;
    await Deno.mkdir(to);
    const dists = [await fakeDist(root, "v1"), await fakeDist(root, "v2")];
    await installCni(dists[0], to);
    let installing = true;
    const upgrades = (async () => {
      for (let i = 1; i <= 20; i++) await installCni(dists[i % 2], to);
      installing = false;
    })();
    const seen = new Set<string>();
    while (installing) seen.add(await run(`${to}/${PLUGIN_NAME}`));
    await upgrades;
    for (const line of seen) assert.match(line, /^launcher=(v\d) payload=\1 args=\n$/);
  });
});

Deno.test("the wrapper runs the real build's launcher (CNI VERSION through the installed files)", async () => {
  await Deno.stat(`${REAL_DIST}/${PLUGIN_NAME}`).catch(() => {
    throw new Error(`${REAL_DIST} has no launcher: run deno task build first`);
  });
  await withTempDir(async (root) => {
    const to = `${root}/opt/cni/bin`;
    await Deno.mkdir(to, { recursive: true });
    await installCni(REAL_DIST, to);
    const out = await new Deno.Command(`${to}/${PLUGIN_NAME}`, {
      clearEnv: true,
      // The launcher's Deno cache would go to the node's /var/cache/macvtap-cni: keep it in the temp dir.
      env: { CNI_COMMAND: "VERSION", PATH: "/usr/bin:/bin", MACVTAP_DENO_DIR: `${root}/deno-cache` },
      cwd: "/",
      stdin: "piped",
      stdout: "piped",
    }).spawn();
    const writer = out.stdin.getWriter();
    await writer.write(new TextEncoder().encode('{"cniVersion":"1.0.0"}'));
    await writer.close();
    const { success, stdout } = await out.output();
    assert.ok(success);
    assert.ok(JSON.parse(new TextDecoder().decode(stdout)).supportedVersions.includes("1.0.0"));
  });
});

Deno.test("wrapperScript() names its version and execs the launcher inside the versions folder", () => {
  const script = wrapperScript("0123456789abcdef");
  assert.match(script, /^#!\/bin\/sh\n/);
  assert.match(script, /^# version=0123456789abcdef$/m);
  assert.match(script, /^exec "\$\{self%\/\*\}\/macvtap\.d\/0123456789abcdef\/macvtap" "\$@"$/m);
});

Deno.test("the installer runs under the init container's narrow permissions (read both dirs, write the target)", async () => {
  await withTempDir(async (root) => {
    const from = await fakeDist(root, "v1");
    const to = `${root}/bin`;
    await Deno.mkdir(to);
    const script = fileURLToPath(new URL("./install_cni.ts", import.meta.url));
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--no-prompt",
        "--no-config",
        `--allow-read=${from},${to}`,
        `--allow-write=${to}`,
        script,
        `--from=${from}`,
        `--to=${to}`,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.ok(out.success, new TextDecoder().decode(out.stderr));
    const report = JSON.parse(new TextDecoder().decode(out.stdout));
    assert.equal(report.plugin, PLUGIN_NAME);
    assert.equal(await run(`${to}/${PLUGIN_NAME}`), "launcher=v1 payload=v1 args=\n");
  });
});
