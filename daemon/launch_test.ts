/**
 * `deno task daemon` as an operator runs it, with every path flag pointing into a temp dir (a kubelet root
 * other than /var/lib/kubelet, as k0s or microk8s have; a config file outside /etc/macvtap-device-plugin;
 * a metrics address other than 0.0.0.0:9120; a broker elsewhere): the launcher derives the sandbox from
 * those flags, and the daemon registers with the kubelet double, answers Allocate, asks pod-resources,
 * serves /metrics, /healthz and /readyz, logs pure JSON, and stops on SIGTERM with status 0.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import type { LogRecord } from "./log.ts";
import { writeFakeBrokerScript } from "./testing/broker_scripts.ts";
import { KubeletDouble } from "./testing/kubelet_double.ts";
import { PodResourcesDouble } from "./testing/pod_resources_double.ts";
import { parsePrometheusText } from "./testing/prometheus_text.ts";
import { VERSION } from "./version.ts";
import { waitFor } from "../testing/wait.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const ETH0 = "macvtap.network.kubevirt.io/eth0";

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** Lines of a stream, collected as they come. */
function collectLines(stream: ReadableStream<Uint8Array>, into: string[]): Promise<void> {
  return (async () => {
    let rest = "";
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      const lines = (rest + chunk).split("\n");
      rest = lines.pop()!;
      into.push(...lines);
    }
    if (rest) into.push(rest);
  })();
}

/** The pid of a child of `pid` (the launcher under `deno task`). */
function childOf(pid: number): number {
  const children = Deno.readTextFileSync(`/proc/${pid}/task/${pid}/children`).trim().split(/\s+/);
  assert.equal(children.length, 1, `deno task ${pid} has children ${children}`);
  return Number(children[0]);
}

/** The temp dir laid out with a kubelet root, config, broker of its own. */
async function layout(dir: string) {
  const kubeletRoot = `${dir}/var/lib/k0s/kubelet`;
  const paths = {
    pluginDir: `${kubeletRoot}/device-plugins`,
    podResources: `${kubeletRoot}/pod-resources/kubelet.sock`,
    config: `${dir}/srv/config/devices.json`,
    broker: "",
  };
  for (const path of [paths.pluginDir, `${kubeletRoot}/pod-resources`, `${dir}/srv/config`, `${dir}/bin`]) {
    await Deno.mkdir(path, { recursive: true });
  }
  // An upstream-style entry still carrying the pre-2021 key: a warning, not a crash loop.
  await Deno.writeTextFile(paths.config, '[{"name":"eth0","master":"eth0","capacity":2}]');
  paths.broker = await writeFakeBrokerScript(`${dir}/bin`);
  return paths;
}

Deno.test({
  name: "deno task daemon: every path flag into a temp dir works under the derived sandbox",
  sanitizeResources: false, // grpc sockets of the doubles close asynchronously
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "mvt-launch-" });
    const stdout: string[] = [];
    const stderr: string[] = [];
    let task: Deno.ChildProcess | null = null;
    try {
      const paths = await layout(dir);
      const port = freePort();
      await using kubelet = await KubeletDouble.start(paths.pluginDir);
      await using podResources = await PodResourcesDouble.start(paths.podResources);
      task = new Deno.Command(Deno.execPath(), {
        args: [
          "task",
          "daemon",
          `--plugin-dir=${paths.pluginDir}`,
          `--pod-resources-socket=${paths.podResources}`,
          `--config=${paths.config}`,
          `--metrics=127.0.0.1:${port}`,
          `--broker=${paths.broker}`,
          "--gc-interval=200ms",
        ],
        cwd: ROOT,
        env: { NO_COLOR: "1" },
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const drained = Promise.all([collectLines(task.stdout, stdout), collectLines(task.stderr, stderr)]);
      const output = [stdout, stderr].flat();

      await kubelet.waitForRegistration(ETH0).catch((e) =>
        assert.fail(`${e}\n${stdout.concat(stderr).join("\n")}`)
      );
      const devices = await kubelet.waitForDevices(ETH0, "2 devices", (d) => d.length === 2);
      assert.deepEqual(devices.map((d) => d.ID), ["eth0Mvp0", "eth0Mvp1"]);
      const answer = await kubelet.allocate(ETH0, ["eth0Mvp0"]);
      assert.match(answer.container_responses[0]!.devices[0]!.host_path, /^\/dev\/tap\d+$/);
      const tail = { timeoutMs: 20_000, describe: () => output.slice(-40).join("\n") };
      await waitFor("a pod-resources List", () => podResources.listCalls > 0, tail);

      const base = `http://127.0.0.1:${port}`;
      await waitFor(
        "/readyz 200",
        async () => (await fetch(`${base}/readyz`).then((r) => r.json())).ready,
        tail,
      );
      const health = await fetch(`${base}/healthz`);
      assert.equal(health.status, 200);
      assert.equal((await health.json()).linkBroker, "up");
      const metrics = parsePrometheusText(await fetch(`${base}/metrics`).then((r) => r.text()));
      assert.equal(metrics.value("macvtap_dp_allocations_total", { resource: ETH0 }), 1);
      assert.equal(metrics.value("macvtap_dp_allocate_duration_seconds_count", { resource: ETH0 }), 1);
      assert.equal(metrics.value("macvtap_dp_allocation_failures_total", { resource: ETH0 }), 0);
      assert.equal(metrics.value("macvtap_dp_build_info", { version: VERSION, deno: Deno.version.deno }), 1);

      const launcher = childOf(task.pid);
      Deno.kill(launcher, "SIGTERM");
      assert.equal((await task.status).code, 0, output.join("\n"));
      task = null;
      await drained;
      checkOutput(stdout, stderr);
    } finally {
      if (task) {
        for (const pid of [childOf(task.pid), task.pid]) {
          try {
            Deno.kill(pid, "SIGKILL");
          } catch {
            // Gone already.
          }
        }
        await task.status;
      }
      await Deno.remove(dir, { recursive: true });
    }
  },
});

/** Logs are JSON lines only; stderr holds nothing but deno task's own "Task daemon …" line. */
function checkOutput(stdout: string[], stderr: string[]): void {
  const records: LogRecord[] = stdout.filter(Boolean).map((line) => {
    try {
      return JSON.parse(line);
    } catch {
      throw new Error(`not a JSON log line: ${line}`);
    }
  });
  const ours = stdout.concat(stderr).filter((line) => line && !line.startsWith("Task daemon "));
  assert.deepEqual(stderr.filter((line) => line && !line.startsWith("Task daemon ")), [], "stderr");
  assert.ok(!ours.some((line) => /experimental|NotCapable|--allow-/.test(line)), ours.join("\n"));
  const warning = records.find((r) => r.msg === "config warning");
  assert.match(String(warning?.warning), /Ignoring unknown key "master"/);
  assert.ok(records.some((r) => r.msg === "daemon started" && r.version === VERSION));
  assert.ok(records.some((r) => r.msg === "shutting down" && r.signal === "SIGTERM"));
  assert.ok(
    !records.some((r) => r.level === "error"),
    JSON.stringify(records.filter((r) => r.level === "error")),
  );
}
