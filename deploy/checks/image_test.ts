/**
 * The node image as `deno task image` builds it (this machine's architecture; tools/image.ts), run with
 * podman the way the DaemonSet runs it — the containers' own commands and args, read-only root, every
 * capability dropped but NET_ADMIN for the daemon:
 *
 * - the daemon's `--help` and `--version`;
 * - the CNI installer into a temp dir standing for the node's /opt/cni/bin, and the installed plugin run on
 *   the host; then the uninstaller, leaving the dir as it was;
 * - the daemon in a throwaway "node" netns against the kubelet double: registers, answers Allocate with a
 *   real macvtap on the netns's lower link, answers /readyz, logs JSON lines only, stops on SIGTERM.
 *
 * Skipped, saying why in its name, only when podman cannot run a container on this machine at all (a
 * one-file busybox image is the yardstick) or when not root.
 */
import assert from "node:assert/strict";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { KubeletDouble } from "../../daemon/testing/kubelet_double.ts";
import { VERSION } from "../../daemon/version.ts";
import { HOST_ARCH } from "../../tools/build.ts";
import { buildImage } from "../../tools/image.ts";
import { isRoot, TestNetns } from "../../testing/netns.ts";
import { kustomize } from "./kubectl.ts";
import { container, daemonArgs, findOne, flagValues, mountCovering } from "./manifest_checks.ts";
import { PLUGIN_NAME } from "../install_cni.ts";
import { podmanRunArgs, podmanSkipReason } from "./podman.ts";
import { rootTest } from "../../testing/root_gate.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url)).replace(/\/$/, "");
const BASE = await kustomize(`${ROOT}/deploy`);
const DAEMON_SET = findOne(BASE, "DaemonSet");
const DAEMON = container(DAEMON_SET, "deviceplugin");
const INSTALLER = container(DAEMON_SET, "install-cni");
const SKIP = isRoot ? await podmanSkipReason() : null;

/** Builds the image once for every test of this file. */
let image: Promise<string> | null = null;
function builtImage(): Promise<string> {
  image ??= buildImage(HOST_ARCH);
  return image;
}

async function podman(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command("podman", { args, stdout: "piped", stderr: "piped", stdin: "null" })
    .output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
}

/** A root-gated test of the image; grpc sockets of the kubelet double close asynchronously. */
function test(name: string, fn: () => Promise<void>): void {
  rootTest(name, fn, { programs: ["podman"], sanitizers: false, skip: SKIP });
}

test("image: the daemon's --help and --version, read-only, no capabilities", async () => {
  const reference = await builtImage();
  const command = (extra: string) => [...DAEMON.command as string[], extra];
  const options = ["--read-only", "--cap-drop=all", "--network=none", "--workdir", String(DAEMON.workingDir)];
  const help = await podman(podmanRunArgs(reference, options, command("--help")));
  assert.equal(help.code, 0, help.stderr);
  assert.match(help.stdout, /^Usage: deno task daemon \[options\]/);
  assert.match(help.stdout, /--pod-resources-socket PATH/);
  const version = await podman(podmanRunArgs(reference, options, command("--version")));
  assert.equal(version.stdout, `macvtap device plugin ${VERSION}\n`, version.stderr);
  assert.equal(version.stderr, "", "nothing on stderr (no cache writes, no warnings)");
});

test("image: the init container installs the CNI plugin into the node's bin dir, and uninstalls it", async () => {
  const reference = await builtImage();
  const bin = await Deno.makeTempDir({ prefix: "mvt-image-bin-" });
  try {
    await Deno.writeTextFile(`${bin}/other-plugin`, "someone else's\n");
    const to = flagValues(INSTALLER.command).get("to")!;
    const mount = ["--read-only", "--cap-drop=all", "--network=none", "-v", `${bin}:${to}`];
    const install = await podman(podmanRunArgs(reference, mount, INSTALLER.command as string[]));
    assert.equal(install.code, 0, install.stderr);
    assert.match(install.stdout, /"msg":"installed CNI plugin"/);
    const version = await new Deno.Command(`${bin}/${PLUGIN_NAME}`, {
      env: { CNI_COMMAND: "VERSION" },
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
    }).output();
    assert.match(new TextDecoder().decode(version.stdout), /"supportedVersions":\[/);
    const uninstallCommand = [...INSTALLER.command as string[], "--uninstall"];
    const uninstall = await podman(podmanRunArgs(reference, mount, uninstallCommand));
    assert.equal(uninstall.code, 0, uninstall.stderr);
    const left = [...Deno.readDirSync(bin)].map((e) => e.name);
    assert.deepEqual(left, ["other-plugin"], "only what the installer put there is gone");
  } finally {
    await Deno.remove(bin, { recursive: true });
  }
});

/** GET `url` from inside a netns (the probes reach the hostNetwork pod there). */
async function getInNetns(netns: string, url: string): Promise<{ status: number; body: string }> {
  const script = `const r = await fetch(${JSON.stringify(url)}).catch(() => null);` +
    `console.log(JSON.stringify({ status: r?.status ?? 0, body: r ? await r.text() : "" }));`;
  const out = await new Deno.Command("ip", {
    args: ["netns", "exec", netns, Deno.execPath(), "eval", "--no-config", script],
    stdout: "piped",
  }).output();
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

/** The host dirs standing for the node's kubelet and the ConfigMap volume, mounted where the pod has them. */
async function nodeVolumes(dir: string, config: string): Promise<string[]> {
  const { options } = daemonArgs(DAEMON);
  const configDir = mountCovering(DAEMON, options.configFile!)!.mountPath;
  const volumes: [string, string, string][] = [
    [`${dir}/device-plugins`, options.pluginDir, "rw"],
    [`${dir}/pod-resources`, dirname(options.podResourcesSocket), "ro"],
    [`${dir}/config`, configDir, "ro"],
  ];
  for (const [host] of volumes) await Deno.mkdir(host, { recursive: true });
  await Deno.writeTextFile(`${dir}/config/${options.configFile!.slice(configDir.length + 1)}`, config);
  return volumes.flatMap(([host, inPod, mode]) => ["-v", `${host}:${inPod}:${mode}`]);
}

test("image: the daemon container in a node netns registers, allocates a macvtap, is ready, stops on SIGTERM", async () => {
  const reference = await builtImage();
  await using node = await TestNetns.create("img");
  await node.addVeth("lower0", "peer0");
  const dir = await Deno.makeTempDir({ prefix: "mvt-image-node-" });
  const name = `mvt-image-daemon-${Deno.pid}`;
  try {
    const volumes = await nodeVolumes(dir, '[{"name":"lower0","capacity":2}]');
    await using kubelet = await KubeletDouble.start(`${dir}/device-plugins`);
    const options = [
      `--name=${name}`,
      `--network=ns:${node.path}`,
      "--read-only",
      "--cap-drop=all",
      "--cap-add=NET_ADMIN",
      "--security-opt=no-new-privileges",
      "--workdir",
      String(DAEMON.workingDir),
      ...volumes,
    ];
    const run = new Deno.Command("podman", {
      args: podmanRunArgs(reference, options, [...DAEMON.command as string[], ...DAEMON.args as string[]]),
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const output = run.output();
    const resource = "macvtap.network.kubevirt.io/lower0";
    await kubelet.waitForRegistration(resource).catch(async (error) => {
      await podman(["stop", "-t", "1", name]);
      const out = await output;
      throw new Error(
        `${error.message}\n${new TextDecoder().decode(out.stdout)}${new TextDecoder().decode(out.stderr)}`,
      );
    });
    const devices = await kubelet.waitForDevices(resource, "2 devices", (d) => d.length === 2);
    assert.deepEqual(devices.map((d) => d.ID), ["lower0Mvp0", "lower0Mvp1"]);
    const answer = await kubelet.allocate(resource, ["lower0Mvp1"]);
    const tap = answer.container_responses[0]!.devices[0]!.host_path;
    const macvtap = (await node.links()).find((link) => `/dev/tap${link.ifindex}` === tap);
    assert.ok(macvtap?.ifname.startsWith("mvt"), `a temp macvtap behind ${tap} in the node netns`);
    const port = (DAEMON.ports as { containerPort: number }[])[0]!.containerPort;
    const ready = await getInNetns(node.name, `http://127.0.0.1:${port}/readyz`);
    assert.deepEqual([ready.status, JSON.parse(ready.body).ready], [200, true]);

    assert.equal((await podman(["stop", "-t", "10", name])).code, 0);
    const out = await output;
    const stdout = new TextDecoder().decode(out.stdout);
    assert.equal(out.code, 0, `${stdout}${new TextDecoder().decode(out.stderr)}`);
    const records = stdout.trim().split("\n").map((line) => JSON.parse(line));
    assert.ok(records.some((r) => r.msg === "shutting down" && r.signal === "SIGTERM"));
    assert.equal(new TextDecoder().decode(out.stderr), "", "stderr: nothing but JSON logs on stdout");
  } finally {
    await podman(["rm", "-f", name]);
    await Deno.remove(dir, { recursive: true });
  }
});
