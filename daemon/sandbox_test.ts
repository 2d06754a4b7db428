/**
 * Proves the daemon's sandbox: run under the `daemon` permission set of deno.json, and under the flags the
 * tests use, a probe is refused FFI, /etc/shadow, /sys, /proc, every program but the broker, TCP and
 * other variables — and the permission set matches {@link daemonPermissions} for the default paths; and
 * that nothing of the daemon's environment reaches the broker it runs.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { DEFAULT_BROKER } from "./cli.ts";
import { DEFAULT_PLUGIN_DIR, DEFAULT_POD_RESOURCES_SOCKET } from "./kubelet/api_types.ts";
import { DAEMON_RUNTIME_FLAGS, daemonPermissionFlags, daemonPermissions } from "./sandbox.ts";
import { DaemonProcess } from "./testing/daemon_process.ts";
import { writeFakeBrokerScript } from "./testing/broker_scripts.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const PROBE = fileURLToPath(new URL("./testing/sandbox_probe.ts", import.meta.url));

const EXPECTED = {
  ffi: "refused",
  readShadow: "refused",
  readSysClassNet: "refused",
  readProcNetns: "refused",
  runShell: "refused",
  runIp: "refused",
  runBroker: "allowed",
  writeTmp: "refused",
  tcpConnect: "refused",
  envHome: "refused",
  envConfig: "allowed",
  sys: "refused",
};

async function probe(flags: string[], broker: string): Promise<Record<string, string>> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...flags, PROBE, broker],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout).trim();
  assert.ok(out.success, `probe failed: ${new TextDecoder().decode(out.stderr)}`);
  return JSON.parse(stdout.split("\n").at(-1)!);
}

Deno.test("the deno.json daemon permission set is the sandbox for the default paths", async () => {
  const config = JSON.parse(await Deno.readTextFile(`${ROOT}/deno.json`));
  const set = config.permissions.daemon as Record<string, string[]>;
  // Paths in a permission set are relative to deno.json.
  const absolute = (name: string, entry: string) =>
    ["read", "write", "run"].includes(name) && !entry.startsWith("/") ? `${ROOT}${entry}` : entry;
  const expected = daemonPermissions({
    pluginDir: DEFAULT_PLUGIN_DIR,
    podResourcesSocket: DEFAULT_POD_RESOURCES_SOCKET,
    configFile: "/etc/macvtap-device-plugin/config.json",
    broker: DEFAULT_BROKER,
    metrics: "0.0.0.0:9120",
  });
  for (const name of ["read", "write", "net", "env", "run"] as const) {
    assert.deepEqual(set[name].map((entry) => absolute(name, entry)), expected[name], name);
  }
  assert.deepEqual(
    Object.keys(set).sort(),
    ["env", "net", "read", "run", "write"],
    "nothing else is granted",
  );
  assert.equal(
    config.tasks.daemon,
    `deno run --no-prompt ${DAEMON_RUNTIME_FLAGS.join(" ")} -P=daemon daemon/main.ts`,
  );
});

Deno.test("the daemon permission set refuses ffi, /etc/shadow, /sys and every program but the broker", async () => {
  assert.deepEqual(await probe(["--no-prompt", "-P=daemon"], DEFAULT_BROKER), EXPECTED);
});

Deno.test("the generated sandbox flags refuse the same", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mvt-sandbox-" });
  try {
    const flags = daemonPermissionFlags({
      pluginDir: dir,
      podResourcesSocket: `${dir}/pod-resources.sock`,
      configFile: `${dir}/config.json`,
      broker: `${dir}/broker`,
    });
    assert.deepEqual(await probe(flags, `${dir}/broker`), EXPECTED);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** The environment a wrapper recorded, one `NAME=value` per line; waits for the file to appear. */
async function recordedEnviron(file: string, daemon?: DaemonProcess): Promise<string[]> {
  for (let waited = 0; waited < 20_000; waited += 50) {
    const text = await Deno.readTextFile(file).catch(() => null);
    if (text !== null) return text.split("\n").filter(Boolean);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no environment recorded in ${file}${daemon ? `:\n${daemon.transcript()}` : ""}`);
}

Deno.test({
  name: "the daemon starts its broker with an empty environment, whatever its own holds",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "mvt-sandbox-env-" });
    try {
      const environFile = `${dir}/broker-environ`;
      const broker = await writeFakeBrokerScript(dir, environFile);
      const canary = { MACVTAP_ENV_CANARY: "must-not-reach-the-broker", DP_MACVTAP_CONF: "[]" };
      // The recording works: started directly, the wrapper sees what it was given.
      await new Deno.Command(broker, { env: canary, stdin: "null", stdout: "null" }).output();
      assert.ok(
        (await recordedEnviron(environFile)).includes("MACVTAP_ENV_CANARY=must-not-reach-the-broker"),
      );
      await Deno.remove(environFile);
      const configFile = `${dir}/config.json`;
      await Deno.writeTextFile(configFile, '[{"name":"eth0","capacity":1}]');
      await using daemon = DaemonProcess.spawn(
        { pluginDir: dir, podResourcesSocket: `${dir}/none.sock`, configFile, broker },
        ["--gc-interval", "0"],
        canary,
      );
      assert.deepEqual(await recordedEnviron(environFile, daemon), []);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
