/**
 * Proves the daemon's sandbox: `deno task daemon` runs the launcher with nothing but `--allow-run=deno`,
 * and the flags the launcher derives from the daemon's command line (for the default paths, and for paths
 * in a temp dir) refuse FFI, /etc/shadow, /sys, /proc, every program but the broker, TCP and other
 * variables; and nothing of the daemon's environment reaches the broker it runs.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { DEFAULT_BROKER, parseCli } from "./cli.ts";
import { DEFAULT_PLUGIN_DIR, DEFAULT_POD_RESOURCES_SOCKET } from "./kubelet/api_types.ts";
import { DAEMON_MAIN, daemonRunArgs, DENO_CONFIG } from "./launch.ts";
import {
  DAEMON_RUNTIME_FLAGS,
  daemonPermissionFlags,
  daemonPermissions,
  PROTO_DIR,
  sandboxPathsOf,
} from "./sandbox.ts";
import { DaemonProcess } from "./testing/daemon_process.ts";
import { writeFakeBrokerScript } from "./testing/broker_scripts.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const PROBE = fileURLToPath(new URL("./testing/sandbox_probe.ts", import.meta.url));

/** What the daemon's sandbox must answer, whatever its paths. */
const EXPECTED = {
  ffi: "refused",
  readShadow: "refused",
  readSysClassNet: "refused",
  readProcNetns: "refused",
  runShell: "refused",
  runIp: "refused",
  runBroker: "allowed",
  runDeno: "refused",
  writeTmp: "refused",
  tcpConnect: "refused",
  envHome: "refused",
  envConfig: "allowed",
  sys: "refused",
};

/** The launcher may run deno and nothing else; it reads, writes and connects to nothing. */
const LAUNCHER_EXPECTED = { ...EXPECTED, runBroker: "refused", runDeno: "allowed", envConfig: "refused" };

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

/** The permission flags of a `deno run` argument list (between "run" and the config). */
function permissionFlagsOf(runArgs: string[]): string[] {
  return runArgs.slice(1, runArgs.indexOf(`--config=${DENO_CONFIG}`)).filter((f) =>
    !f.startsWith("--v8-flags")
  );
}

Deno.test("deno task daemon runs the launcher with run access to deno alone; deno.json grants nothing else", async () => {
  const config = JSON.parse(await Deno.readTextFile(`${ROOT}/deno.json`));
  assert.equal(config.tasks.daemon, "deno run --no-prompt --allow-run=deno daemon/launch.ts");
  assert.equal(
    config.permissions,
    undefined,
    "no permission sets: the flags are derived from the command line",
  );
  assert.deepEqual(await probe(["--no-prompt", "--allow-run=deno"], DEFAULT_BROKER), LAUNCHER_EXPECTED);
});

Deno.test("the launcher runs main.ts with the runtime flags, the derived sandbox and the same arguments", () => {
  const args = ["--plugin-dir=/var/lib/k0s/kubelet/device-plugins", "--gc-interval", "0"];
  const runArgs = daemonRunArgs(args, "/");
  assert.deepEqual(runArgs.slice(0, 1 + DAEMON_RUNTIME_FLAGS.length), ["run", ...DAEMON_RUNTIME_FLAGS]);
  assert.deepEqual(runArgs.slice(-args.length - 1), [DAEMON_MAIN, ...args]);
  const paths = sandboxPathsOf(parseCli(args), "/");
  assert.deepEqual(permissionFlagsOf(runArgs), daemonPermissionFlags(paths));
  assert.ok(
    runArgs.includes(
      "--allow-write=/var/lib/k0s/kubelet/device-plugins,/var/lib/kubelet/pod-resources/kubelet.sock",
    ),
  );
  assert.throws(() => daemonRunArgs(["--nope"], "/"), /nope/);
});

Deno.test("sandboxPathsOf(): every path flag, made absolute; the metrics address as a net permission", () => {
  const options = parseCli([
    "--plugin-dir=dp/",
    "--pod-resources-socket=pr.sock",
    "--config=conf/x.json",
    "--broker=bin/broker",
    "--metrics=[::]:9120",
  ]);
  assert.deepEqual(sandboxPathsOf(options, "/srv"), {
    pluginDir: "/srv/dp",
    podResourcesSocket: "/srv/pr.sock",
    configFile: "/srv/conf/x.json",
    broker: "/srv/bin/broker",
    metrics: "[::]:9120",
  });
  const permissions = daemonPermissions(sandboxPathsOf(options, "/srv"));
  assert.deepEqual(permissions.read, [PROTO_DIR, "/srv/dp", "/srv/pr.sock", "/srv/conf"]);
  assert.deepEqual(permissions.net.at(-1), "[::]:9120");
  const defaults = sandboxPathsOf(parseCli(["--metrics=:9120"]), "/srv");
  assert.equal(defaults.metrics, "0.0.0.0:9120");
  assert.equal(defaults.pluginDir, DEFAULT_PLUGIN_DIR);
  assert.equal(defaults.podResourcesSocket, DEFAULT_POD_RESOURCES_SOCKET);
  assert.equal(defaults.configFile, null);
  // A bare broker name is a PATH lookup for the daemon and for the permission alike.
  assert.equal(sandboxPathsOf(parseCli(["--broker=link-broker"]), "/srv").broker, "link-broker");
});

Deno.test("the sandbox the launcher derives for the default command line refuses ffi, /etc/shadow, /sys and every program but the broker", async () => {
  assert.deepEqual(await probe(permissionFlagsOf(daemonRunArgs([], ROOT)), DEFAULT_BROKER), EXPECTED);
});

Deno.test("the sandbox derived for paths in a temp dir refuses the same", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mvt-sandbox-" });
  try {
    const args = [
      `--plugin-dir=${dir}`,
      `--pod-resources-socket=${dir}/pod-resources.sock`,
      `--config=${dir}/config.json`,
      `--broker=${dir}/broker`,
      "--metrics=127.0.0.1:9120",
    ];
    assert.deepEqual(await probe(permissionFlagsOf(daemonRunArgs(args, ROOT)), `${dir}/broker`), EXPECTED);
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
