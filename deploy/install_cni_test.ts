import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import {
  checkDist,
  contentVersion,
  installCni,
  PLUGIN_NAME,
  uninstallCni,
  VERSIONS_DIR,
} from "./install_cni.ts";

const REAL_DIST = fileURLToPath(new URL("../dist/cni", import.meta.url));

/**
 * A fake dist folder whose plugin prints its tag and arguments. The print comes after 256 KiB of comment,
 * so a run of a half-written copy prints nothing, and the file is big enough to be caught mid-write.
 */
async function fakeDist(root: string, tag: string): Promise<string> {
  const dir = `${root}/dist-${tag}`;
  await Deno.mkdir(dir, { recursive: true });
  const script = [
    "#!/bin/sh",
    ...Array.from({ length: 4096 }, (_, i) => `# padding line ${i} `.padEnd(63, "-")),
    `printf 'plugin=${tag} args=%s\\n' "$*"`,
    "",
  ].join("\n");
  await Deno.writeTextFile(`${dir}/${PLUGIN_NAME}`, script);
  await Deno.chmod(`${dir}/${PLUGIN_NAME}`, 0o755);
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

/** Whether the bin dir's plugin is the very file installed as `version` (one copy on disk). */
async function isInstalledAs(to: string, version: string): Promise<boolean> {
  const [plugin, installed] = await Promise.all([
    Deno.lstat(`${to}/${PLUGIN_NAME}`),
    Deno.lstat(`${to}/${VERSIONS_DIR}/${version}`),
  ]);
  return plugin.isFile && plugin.ino === installed.ino && plugin.dev === installed.dev;
}

Deno.test("installCni() installs the plugin as macvtap.d/<version>, linked as macvtap, runnable from any cwd", async () => {
  await withTempDir(async (root) => {
    const from = await fakeDist(root, "v1");
    const to = `${root}/bin`;
    await Deno.mkdir(to);
    const result = await installCni(from, to);
    assert.equal(result.version, await contentVersion(`${from}/${PLUGIN_NAME}`));
    assert.deepEqual({ ...result, version: "" }, {
      version: "",
      previous: null,
      replacedForeignPlugin: false,
      removed: [],
    });
    assert.deepEqual(await names(to), [PLUGIN_NAME, VERSIONS_DIR]);
    assert.deepEqual(await names(`${to}/${VERSIONS_DIR}`), [result.version]);
    assert.ok(await isInstalledAs(to, result.version));
    assert.equal((await Deno.stat(`${to}/${PLUGIN_NAME}`)).mode! & 0o777, 0o755);
    assert.equal(await run(`${to}/${PLUGIN_NAME}`, ["a b", "c"], root), "plugin=v1 args=a b c\n");
  });
});

Deno.test("installCni() is idempotent, and an upgrade removes the version it replaced", async () => {
  await withTempDir(async (root) => {
    const to = `${root}/bin`;
    await Deno.mkdir(to);
    const first = await installCni(await fakeDist(root, "v1"), to);
    const { ino } = await Deno.lstat(`${to}/${PLUGIN_NAME}`);
    const again = await installCni(`${root}/dist-v1`, to);
    assert.deepEqual(again, {
      version: first.version,
      previous: null,
      replacedForeignPlugin: false,
      removed: [],
    });
    assert.equal((await Deno.lstat(`${to}/${PLUGIN_NAME}`)).ino, ino, "the same build is not swapped");
    const second = await installCni(await fakeDist(root, "v2"), to);
    assert.deepEqual(second, {
      version: second.version,
      previous: first.version,
      replacedForeignPlugin: false,
      removed: [first.version],
    });
    assert.deepEqual(await names(`${to}/${VERSIONS_DIR}`), [second.version]);
    assert.ok(await isInstalledAs(to, second.version));
    assert.equal(await run(`${to}/${PLUGIN_NAME}`), "plugin=v2 args=\n");
  });
});

Deno.test("installCni() replaces a foreign plugin binary and removes leftovers of a crashed install", async () => {
  await withTempDir(async (root) => {
    const to = `${root}/bin`;
    await Deno.mkdir(`${to}/${VERSIONS_DIR}`, { recursive: true });
    await Deno.writeTextFile(`${to}/${VERSIONS_DIR}/.${PLUGIN_NAME}-staging-deadbeef-1`, "half a plugin");
    await Deno.writeTextFile(`${to}/.${PLUGIN_NAME}-staging-${PLUGIN_NAME}-7`, "a link never renamed");
    await Deno.writeFile(`${to}/${PLUGIN_NAME}`, new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 0xff, 0xfe, 0]));
    await Deno.writeTextFile(`${to}/bridge`, "another plugin");
    const result = await installCni(await fakeDist(root, "v1"), to);
    assert.equal(result.replacedForeignPlugin, true);
    assert.equal(result.previous, null);
    assert.deepEqual(await names(to), ["bridge", PLUGIN_NAME, VERSIONS_DIR]);
    assert.deepEqual(await names(`${to}/${VERSIONS_DIR}`), [result.version]);
    assert.equal(await Deno.readTextFile(`${to}/bridge`), "another plugin");
  });
});

Deno.test("installCni() takes over an earlier install's wrapper and version folder (the Deno-based layout)", async () => {
  await withTempDir(async (root) => {
    const to = `${root}/bin`;
    const old = "0123456789abcdef";
    await Deno.mkdir(`${to}/${VERSIONS_DIR}/${old}`, { recursive: true });
    for (const file of [PLUGIN_NAME, "macvtap-host.js", "macvtap.wasm", "deno"]) {
      await Deno.writeTextFile(`${to}/${VERSIONS_DIR}/${old}/${file}`, "old");
    }
    const wrapper = [
      "#!/bin/sh",
      `# ${PLUGIN_NAME} CNI plugin, installed by deploy/install_cni.ts (the files are in ${VERSIONS_DIR}/).`,
      `# version=${old}`,
      'self=$(readlink -f -- "$0") || exit 1',
      `exec "\${self%/*}/${VERSIONS_DIR}/${old}/${PLUGIN_NAME}" "$@"`,
      "",
    ].join("\n");
    await Deno.writeTextFile(`${to}/${PLUGIN_NAME}`, wrapper, { mode: 0o755 });
    const result = await installCni(await fakeDist(root, "v1"), to);
    assert.deepEqual({ ...result, version: "" }, {
      version: "",
      previous: old,
      replacedForeignPlugin: false,
      removed: [old],
    });
    assert.deepEqual(await names(`${to}/${VERSIONS_DIR}`), [result.version]);
    assert.equal(await run(`${to}/${PLUGIN_NAME}`), "plugin=v1 args=\n");
  });
});

Deno.test("installCni() refuses a dist without the plugin, with other files, or with a plugin it cannot run", async () => {
  await withTempDir(async (root) => {
    const to = `${root}/bin`;
    await Deno.mkdir(to);
    const from = await fakeDist(root, "v1");
    await Deno.writeTextFile(`${from}/macvtap-host.js`, "left by an older build");
    await assert.rejects(installCni(from, to), /holds "macvtap-host\.js" besides "macvtap"/);
    await Deno.remove(`${from}/macvtap-host.js`);
    await Deno.chmod(`${from}/${PLUGIN_NAME}`, 0o644);
    await assert.rejects(installCni(from, to), /macvtap": not executable/);
    await Deno.remove(`${from}/${PLUGIN_NAME}`);
    await assert.rejects(installCni(from, to), /no "macvtap" \(run deno task build\)/);
    await Deno.mkdir(`${from}/${PLUGIN_NAME}`);
    await assert.rejects(checkDist(from), /macvtap": not a regular file/);
    assert.deepEqual(await names(to), [], "a refused install writes nothing");
  });
});

Deno.test("an invocation during upgrades always runs one whole version", async () => {
  await withTempDir(async (root) => {
    const to = `${root}/bin`;
    await Deno.mkdir(to);
    const dists = [await fakeDist(root, "v1"), await fakeDist(root, "v2")];
    await installCni(dists[0]!, to);
    let installing = true;
    const upgrades = (async () => {
      try {
        for (let i = 1; i <= 20 && installing; i++) await installCni(dists[i % 2]!, to);
      } finally {
        installing = false;
      }
    })();
    const seen = new Set<string>();
    try {
      while (installing) seen.add(await run(`${to}/${PLUGIN_NAME}`));
    } finally {
      // A failed run ends the upgrades before the temp dir goes; a failed upgrade ends the runs.
      installing = false;
      await upgrades;
    }
    for (const line of seen) assert.match(line, /^plugin=v[12] args=\n$/);
  });
});

Deno.test("the real build installs as one small file that answers VERSION from / with an empty environment", async () => {
  const built = await Deno.stat(`${REAL_DIST}/${PLUGIN_NAME}`).catch(() => {
    throw new Error(`${REAL_DIST} has no plugin: run deno task build first`);
  });
  await withTempDir(async (root) => {
    const to = `${root}/opt/cni/bin`;
    await Deno.mkdir(to, { recursive: true });
    const { version } = await installCni(REAL_DIST, to);
    const installed = await Deno.stat(`${to}/${PLUGIN_NAME}`);
    assert.equal(installed.size, built.size);
    assert.equal(installed.nlink, 2, "macvtap and macvtap.d/<version> are one file");
    assert.ok(await isInstalledAs(to, version));
    const child = new Deno.Command(`${to}/${PLUGIN_NAME}`, {
      clearEnv: true,
      env: { CNI_COMMAND: "VERSION" },
      cwd: "/",
      stdin: "piped",
      stdout: "piped",
    }).spawn();
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode('{"cniVersion":"1.0.0"}'));
    await writer.close();
    const { success, stdout } = await child.output();
    assert.ok(success);
    assert.ok(JSON.parse(new TextDecoder().decode(stdout)).supportedVersions.includes("1.0.0"));
  });
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
    assert.equal(report.replacedForeignPlugin, false);
    assert.equal(await run(`${to}/${PLUGIN_NAME}`), "plugin=v1 args=\n");
  });
});

Deno.test("uninstallCni() removes the plugin, its versions and staging leftovers, and nothing else", async () => {
  await withTempDir(async (root) => {
    const to = `${root}/bin`;
    await Deno.mkdir(to);
    await Deno.writeTextFile(`${to}/bridge`, "another plugin");
    await installCni(await fakeDist(root, "v1"), to);
    await Deno.writeTextFile(`${to}/.${PLUGIN_NAME}-staging-${PLUGIN_NAME}-7`, "a link never renamed");
    const result = await uninstallCni(to);
    assert.deepEqual(result.removed.sort(), [
      `.${PLUGIN_NAME}-staging-${PLUGIN_NAME}-7`,
      PLUGIN_NAME,
      VERSIONS_DIR,
    ]);
    assert.equal(result.keptForeignPlugin, false);
    assert.deepEqual(await names(to), ["bridge"]);
    assert.deepEqual(
      await uninstallCni(to),
      { removed: [], keptForeignPlugin: false },
      "a second run is a no-op",
    );
  });
});

Deno.test("uninstallCni() leaves a foreign plugin of the same name, and says so", async () => {
  await withTempDir(async (root) => {
    const to = `${root}/bin`;
    await Deno.mkdir(to);
    await Deno.writeTextFile(`${to}/${PLUGIN_NAME}`, "kubevirt's binary");
    assert.deepEqual(await uninstallCni(to), { removed: [], keptForeignPlugin: true });
    await installCni(await fakeDist(root, "v1"), to);
    await Deno.writeTextFile(`${to}/${PLUGIN_NAME}.new`, "kubevirt's binary");
    await Deno.rename(`${to}/${PLUGIN_NAME}.new`, `${to}/${PLUGIN_NAME}`); // replaced behind our back
    const result = await uninstallCni(to);
    assert.deepEqual(result, { removed: [VERSIONS_DIR], keptForeignPlugin: true });
    assert.equal(await Deno.readTextFile(`${to}/${PLUGIN_NAME}`), "kubevirt's binary");
  });
});

Deno.test("the uninstaller runs under the init container's permissions, --from ignored", async () => {
  await withTempDir(async (root) => {
    const from = await fakeDist(root, "v1");
    const to = `${root}/bin`;
    await Deno.mkdir(to);
    await installCni(from, to);
    const script = fileURLToPath(new URL("./install_cni.ts", import.meta.url));
    const flags = ["run", "--no-prompt", "--no-config", `--allow-read=${from},${to}`, `--allow-write=${to}`];
    const out = await new Deno.Command(Deno.execPath(), {
      args: [...flags, script, `--from=${from}`, `--to=${to}`, "--uninstall"],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.ok(out.success, new TextDecoder().decode(out.stderr));
    const report = JSON.parse(new TextDecoder().decode(out.stdout));
    assert.equal(report.msg, "uninstalled CNI plugin");
    assert.deepEqual(await names(to), []);
  });
});
