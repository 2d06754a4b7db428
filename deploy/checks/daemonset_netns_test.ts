/**
 * The DaemonSet's two containers run as written: their commands, args and the image's files, with every
 * absolute path moved under a temp root that is laid out like the image plus a node (/opt/macvtap, the
 * ConfigMap volume with its `..data` symlink, the kubelet directories, the host's CNI bin dir). The daemon
 * and its link broker run inside a throwaway "node" netns (as hostNetwork puts them in the node's) with the
 * container's capabilities only (bounding set NET_ADMIN, no_new_privs: what `drop: [ALL]`, `add:
 * [NET_ADMIN]` and `allowPrivilegeEscalation: false` leave a uid-0 process); a kubelet double listens on
 * kubelet.sock. The broker is the real dist/link-broker. The daemon container's test needs root; both
 * need `deno task build`.
 */
import assert from "node:assert/strict";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { KubeletDouble } from "../../daemon/testing/kubelet_double.ts";
import { TestNetns } from "../../testing/netns.ts";
import { rootTest } from "../../testing/root_gate.ts";
import { waitFor } from "../../testing/wait.ts";
import { kustomize } from "./kubectl.ts";
import { container, daemonArgs, findOne, flagValues, mountCovering } from "./manifest_checks.ts";
import { PLUGIN_NAME } from "../install_cni.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url)).replace(/\/$/, "");
const BASE = await kustomize(`${ROOT}/deploy`);
const DAEMON_SET = findOne(BASE, "DaemonSet");
const DAEMON = container(DAEMON_SET, "deviceplugin");
const INSTALLER = container(DAEMON_SET, "install-cni");
const CONFIG_MAP = findOne(BASE, "ConfigMap", "macvtap-deviceplugin-config");
/** What the daemon container keeps of root's powers: uid 0 with CAP_NET_ADMIN alone, no privilege gain. */
const CONTAINER_CAPABILITIES = [
  "setpriv",
  "--bounding-set=-all,+net_admin",
  "--inh-caps=-all",
  "--no-new-privs",
  "--",
];
/**
 * The image's environment (tools/image_layout.ts; DENO_DIR is moved under the root where used), with this
 * test's Deno first on the PATH as the image's is: the launcher runs `deno` from the PATH.
 */
const IMAGE_ENV = {
  DENO_NO_UPDATE_CHECK: "1",
  NO_COLOR: "1",
  PATH: `${dirname(Deno.execPath())}:/usr/sbin:/usr/bin:/sbin:/bin`,
};

/** Moves every absolute path of the image or the node in `word` under `root` (also inside `--x=a,b`). */
function underRoot(root: string, word: string): string {
  return word.replace(/(^|[=,:])(\/(?:opt|host|var|etc)\/)/g, `$1${root}$2`);
}

/** Copies what the image puts into /opt/macvtap (node_modules linked, the executables copied). */
async function layOutImage(root: string): Promise<string> {
  const app = `${root}/opt/macvtap`;
  await Deno.mkdir(`${app}/dist/cni`, { recursive: true });
  await Deno.mkdir(`${app}/deploy`);
  for await (const entry of Deno.readDir(`${ROOT}/dist/cni`)) {
    await Deno.copyFile(`${ROOT}/dist/cni/${entry.name}`, `${app}/dist/cni/${entry.name}`);
  }
  await Deno.copyFile(`${ROOT}/dist/link-broker`, `${app}/dist/link-broker`);
  await copyTree(`${ROOT}/daemon`, `${app}/daemon`);
  await copyTree(`${ROOT}/proto`, `${app}/proto`);
  await Deno.copyFile(`${ROOT}/package.json`, `${app}/package.json`);
  await Deno.copyFile(`${ROOT}/deploy/install_cni.ts`, `${app}/deploy/install_cni.ts`);
  await Deno.symlink(`${ROOT}/node_modules`, `${app}/node_modules`);
  await Deno.copyFile(`${ROOT}/deno.json`, `${app}/deno.json`);
  return app;
}

async function copyTree(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const entry of Deno.readDir(from)) {
    if (entry.isDirectory) await copyTree(`${from}/${entry.name}`, `${to}/${entry.name}`);
    else await Deno.copyFile(`${from}/${entry.name}`, `${to}/${entry.name}`);
  }
}

/** Writes a ConfigMap volume the way the kubelet does: `..<ts>/` files, `..data` → it, keys → `..data/key`. */
async function writeConfigMapVolume(dir: string, data: Record<string, string>, generation: number) {
  const payload = `..2026_01_01_00_00_0${generation}`;
  await Deno.mkdir(`${dir}/${payload}`, { recursive: true });
  for (const [key, value] of Object.entries(data)) {
    await Deno.writeTextFile(`${dir}/${payload}/${key}`, value);
  }
  // The swap: a new ..data symlink renamed over the old one, in one step.
  await Deno.symlink(payload, `${dir}/..data_tmp`);
  await Deno.rename(`${dir}/..data_tmp`, `${dir}/..data`);
  for (const key of Object.keys(data)) {
    await Deno.symlink(`..data/${key}`, `${dir}/${key}`).catch((e) => {
      if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
    });
  }
}

async function run(args: string[], options: Deno.CommandOptions = {}): Promise<string> {
  const out = await new Deno.Command(args[0]!, {
    args: args.slice(1),
    stdout: "piped",
    stderr: "piped",
    ...options,
  })
    .output();
  assert.ok(out.success, `${args.join(" ")} failed: ${new TextDecoder().decode(out.stderr)}`);
  return new TextDecoder().decode(out.stdout);
}

/** GET `url` from inside the netns, as the kubelet's probe reaches a hostNetwork pod. */
/** How the probes below are polled: every 100 ms, for at most 30 s (a hang, not a speed, fails). */
const POLL = { timeoutMs: 30_000, everyMs: 100 };

async function getInNetns(netns: string, url: string): Promise<{ status: number; body: string }> {
  const script = `const r = await fetch(${JSON.stringify(url)}).catch(() => null);` +
    `console.log(JSON.stringify({ status: r?.status ?? 0, body: r ? await r.text() : "" }));`;
  return JSON.parse(
    await run(["ip", "netns", "exec", netns, Deno.execPath(), "eval", "--no-config", script]),
  );
}

Deno.test({
  name: "init container as written: installs the image's dist/cni into the host CNI bin dir, runnable there",
  async fn() {
    const root = await Deno.makeTempDir({ prefix: "mvt-ds-" });
    try {
      await layOutImage(root);
      const to = flagValues(INSTALLER.command).get("to")!;
      await Deno.mkdir(underRoot(root, to), { recursive: true });
      const [deno, ...args] = (INSTALLER.command as string[]).map((w) => underRoot(root, w));
      assert.equal(deno, "deno");
      await run([Deno.execPath(), ...args], { clearEnv: true, env: IMAGE_ENV, cwd: "/" });
      const plugin = `${underRoot(root, to)}/${PLUGIN_NAME}`;
      // As a runtime runs it: from the node, with the CNI variables only; nothing of the image needed.
      const version = await run([plugin], { clearEnv: true, env: { CNI_COMMAND: "VERSION" }, cwd: "/" });
      assert.match(version, /"supportedVersions":\[/);
      assert.equal((await Deno.stat(plugin)).size, (await Deno.stat(`${ROOT}/dist/cni/${PLUGIN_NAME}`)).size);
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  },
});

rootTest(
  "daemon container as written: registers, answers the probes, reloads a ConfigMap swap, stops on SIGTERM",
  async () => {
    await using node = await TestNetns.create("ds");
    await node.addVeth("lower0", "peer0");
    const root = await Deno.makeTempDir({ prefix: "mvt-ds-" });
    let daemon: Deno.ChildProcess | null = null;
    const output: string[] = [];
    try {
      const app = await layOutImage(root);
      const { options } = daemonArgs(DAEMON);
      const pluginDir = underRoot(root, options.pluginDir);
      await Deno.mkdir(pluginDir, { recursive: true });
      await Deno.mkdir(underRoot(root, "/var/lib/kubelet/pod-resources"), { recursive: true });
      const configDir = underRoot(root, mountCovering(DAEMON, options.configFile!)!.mountPath);
      await writeConfigMapVolume(configDir, CONFIG_MAP.data as Record<string, string>, 1);
      await using kubelet = await KubeletDouble.start(pluginDir);

      const command = [...DAEMON.command as string[], ...DAEMON.args as string[]].map((w) =>
        underRoot(root, w)
      );
      assert.equal(command[0], "deno");
      daemon = new Deno.Command("ip", {
        args: ["netns", "exec", node.name, ...CONTAINER_CAPABILITIES, Deno.execPath(), ...command.slice(1)],
        cwd: underRoot(root, String(DAEMON.workingDir)),
        clearEnv: true,
        env: { ...IMAGE_ENV, DENO_DIR: `${app}/.deno` },
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      collect(daemon, output);
      let exited: Deno.CommandStatus | null = null;
      daemon.status.then((status) => exited = status);

      const port = (DAEMON.ports as { name: string; containerPort: number }[])
        .find((p) => p.name === (DAEMON.livenessProbe as { httpGet: { port: string } }).httpGet.port)!
        .containerPort;
      const healthz = await waitFor("/healthz 200", async () => {
        if (exited) throw new Error(`the daemon exited with code ${exited.code}`);
        const answer = await getInNetns(node.name, `http://127.0.0.1:${port}/healthz`);
        return answer.status === 200 ? JSON.parse(answer.body) : null;
      }, POLL).catch((error) => {
        throw new Error(`${error.message}\n${output.join("\n")}`);
      });
      assert.equal(healthz.ok, true);
      // The launcher (the container's process), the daemon it runs and the broker the daemon started
      // hold CAP_NET_ADMIN (bit 12) and nothing else.
      const child = (pid: number) =>
        Number(Deno.readTextFileSync(`/proc/${pid}/task/${pid}/children`).split(" ")[0]);
      const main = child(daemon.pid);
      const broker = child(main);
      assert.match(Deno.readTextFileSync(`/proc/${main}/cmdline`), /daemon\/main\.ts/);
      // The broker got an empty environment, whatever the container's holds.
      assert.equal(Deno.readTextFileSync(`/proc/${broker}/environ`), "", "the broker's environment");
      for (const pid of [daemon.pid, main, broker]) {
        const status = Deno.readTextFileSync(`/proc/${pid}/status`);
        assert.equal(
          /^CapEff:\s+(\w+)$/m.exec(status)?.[1],
          (1 << 12).toString(16).padStart(16, "0"),
          `pid ${pid}`,
        );
      }

      await writeConfigMapVolume(configDir, { DP_MACVTAP_CONF: '[{"name":"lower0","capacity":4}]' }, 2);
      const resource = "macvtap.network.kubevirt.io/lower0";
      await kubelet.waitForRegistration(resource);
      const devices = await kubelet.waitForDevices(resource, "4 devices", (d) => d.length === 4);
      assert.deepEqual(devices.map((d) => d.ID), ["lower0Mvp0", "lower0Mvp1", "lower0Mvp2", "lower0Mvp3"]);
      const metrics = await getInNetns(node.name, `http://127.0.0.1:${port}/metrics`);
      assert.match(metrics.body, /macvtap_dp_config_reloads_total\{result="ok"\} 1/);
      // The readiness probe's path answers ready once the resource is registered.
      const readiness = String((DAEMON.readinessProbe as { httpGet: { path: string } }).httpGet.path);
      const ready = await waitFor("readiness 200", async () => {
        const answer = await getInNetns(node.name, `http://127.0.0.1:${port}${readiness}`);
        return answer.status === 200 ? JSON.parse(answer.body) : null;
      }, POLL);
      assert.deepEqual(ready, { ready: true, resources: { [resource]: "registered" } });

      daemon.kill("SIGTERM");
      assert.equal((await daemon.status).code, 0, output.join("\n"));
      daemon = null;
    } finally {
      if (daemon) {
        try {
          daemon.kill("SIGKILL");
        } catch {
          // It exited already (the failure being reported).
        }
        await daemon.status;
      }
      await Deno.remove(root, { recursive: true });
    }
  },
  { sanitizers: false }, // grpc sockets of the kubelet double close asynchronously
);

/** Keeps the child's output for failure messages (and drains the pipes). */
function collect(child: Deno.ChildProcess, lines: string[]): void {
  for (const stream of [child.stdout, child.stderr]) {
    (async () => {
      for await (const chunk of stream.pipeThrough(new TextDecoderStream())) lines.push(chunk.trimEnd());
    })();
  }
}
