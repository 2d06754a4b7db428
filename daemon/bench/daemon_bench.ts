/**
 * Daemon benchmark: Allocate round trip, health-change-to-update latency, and RSS of the daemon process.
 *
 * `deno run -A daemon/bench/daemon_bench.ts [--json FILE]` (root for the netns parts). Prints a table and,
 * with --json, writes the figures. Each figure says which broker it went through: the in-memory fake
 * broker measures the daemon itself (gRPC + protocol + pool); the real link broker (dist/link-broker, in a
 * throwaway netns) adds the netlink round trips and the kernel's own work.
 *
 * @module
 */
import { BrokerNodeLinks } from "../links/broker_node_links.ts";
import { FakeNodeLinks } from "../testing/fake_node_links.ts";
import { fixedConfig } from "../config_source.ts";
import { Daemon } from "../daemon.ts";
import { silentLogger } from "../log.ts";
import { tempLinkName } from "../macvtap/temp_link_name.ts";
import { DaemonProcess } from "../testing/daemon_process.ts";
import { inMemoryBroker } from "../testing/in_memory_broker.ts";
import { KubeletDouble } from "../testing/kubelet_double.ts";
import { writeFakeBrokerScript, writeLinkBrokerScript } from "../testing/broker_scripts.ts";
import { isRoot, TestNetns } from "../../testing/netns.ts";
import { summarize } from "../../bench/stats.ts";
import { childPids, commandLine, isRunning } from "../../testing/processes.ts";

const ALLOCATIONS = 200;
const HEALTH_FLIPS = 40;
const RSS_ALLOCATIONS = 1000;

interface Row {
  metric: string;
  via: string;
  value: string;
  raw: Record<string, number>;
}

/** The shared percentile summary (bench/stats.ts), as a plain record for the JSON output. */
function summary(samples: number[]): Record<string, number> {
  return { ...summarize(samples) };
}

/** A VmRSS-style field (e.g. "VmRSS", "VmHWM": peak) of /proc/<pid>/status, in MiB. */
function statusMiB(pid: number, field = "VmRSS"): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const kib = new RegExp(`${field}:\\s+(\\d+) kB`).exec(status);
  if (!kib) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(kib[1]) / 1024;
}

/** The daemon's link broker: its one live child (the script execs into `ip netns exec`, then the broker). */
function brokerPid(daemon: DaemonProcess): number {
  const children = childPids(daemon.pid).filter(isRunning);
  const [child] = children;
  if (children.length !== 1 || child === undefined) {
    throw new Error(`daemon ${daemon.pid} has ${children.length} children, not 1 broker`);
  }
  if (!commandLine(child).includes("link-broker")) {
    throw new Error(`daemon's child ${child} is not the link broker: "${commandLine(child)}"`);
  }
  return child;
}

/** The broker's resident and peak memory now, MiB. */
function brokerMemory(pid: number): { rssMiB: number; hwmMiB: number } {
  return { rssMiB: round1(statusMiB(pid)), hwmMiB: round1(statusMiB(pid, "VmHWM")) };
}

async function tempDir(): Promise<{ path: string } & AsyncDisposable> {
  const path = await Deno.makeTempDir({ prefix: "mvt-bench-" });
  return { path, [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }) };
}

/** Allocate round trips through the kubelet double, device indexes 0…99 in turn (then the same again). */
async function timeAllocations(
  kubelet: KubeletDouble,
  resource: string,
  name: string,
  count: number,
): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    await kubelet.allocate(resource, [`${name}Mvp${i % 100}`]);
    samples.push(performance.now() - started);
  }
  return samples;
}

/** The sandboxed daemon process with one 100-device resource on `lower`, no stale-link collection. */
async function spawnDaemon(dir: string, lower: string, broker: string): Promise<DaemonProcess> {
  const configFile = `${dir}/config.json`;
  await Deno.writeTextFile(configFile, JSON.stringify([{ name: lower, capacity: 100 }]));
  const paths = { pluginDir: dir, podResourcesSocket: `${dir}/none.sock`, configFile, broker };
  return DaemonProcess.spawn(paths, ["--gc-interval", "0"]);
}

/** Daemon process + fake broker: Allocate latency and RSS at idle and after many Allocates. */
async function processWithFakeBroker(rows: Row[]): Promise<void> {
  await using tmp = await tempDir();
  const dir = tmp.path;
  await using kubelet = await KubeletDouble.start(dir);
  await using daemon = await spawnDaemon(dir, "eth0", await writeFakeBrokerScript(dir));
  const resource = "macvtap.network.kubevirt.io/eth0";
  await kubelet.waitForDevices(resource, "100 devices", (d) => d.length === 100);
  await new Promise((resolve) => setTimeout(resolve, 2000)); // settle after start-up
  const idle = statusMiB(daemon.pid);
  const samples = await timeAllocations(kubelet, resource, "eth0", ALLOCATIONS);
  rows.push(timingRow("Allocate round trip (ms)", "process, fake broker", samples));
  await timeAllocations(kubelet, resource, "eth0", RSS_ALLOCATIONS - ALLOCATIONS);
  const after = statusMiB(daemon.pid);
  const raw = { idleMiB: round1(idle), after1000MiB: round1(after), growthMiB: round1(after - idle) };
  rows.push({
    metric: "daemon RSS (MiB)",
    via: "process, fake broker",
    value: `idle ${raw.idleMiB}, after ${RSS_ALLOCATIONS} Allocate ${raw.after1000MiB} (+${raw.growthMiB})`,
    raw,
  });
}

/** In-process daemon, in-memory broker: from a link change to the kubelet receiving the new list. */
async function healthLatencyInProcess(rows: Row[]): Promise<void> {
  await using tmp = await tempDir();
  const dir = tmp.path;
  const fake = new FakeNodeLinks([{ name: "eth0", parentDevName: "virtio2" }]);
  await using nodeLinks = new BrokerNodeLinks(inMemoryBroker(fake).factory);
  await using kubelet = await KubeletDouble.start(dir);
  using config = fixedConfig('[{"name":"eth0"}]', "bench");
  await using _daemon = await Daemon.start(
    { pluginDir: dir, podResourcesSocket: `${dir}/none.sock`, gcIntervalMs: 0, gcGraceMs: 0 },
    { nodeLinks, config, log: silentLogger },
  );
  const resource = "macvtap.network.kubevirt.io/eth0";
  await kubelet.waitForDevices(resource, "healthy", (d) => d[0]?.health === "Healthy");
  const samples: number[] = [];
  for (let i = 0; i < HEALTH_FLIPS; i++) {
    const carrier = i % 2 === 1;
    const started = performance.now();
    fake.update("eth0", { carrier });
    await kubelet.waitForDevices(
      resource,
      "flip",
      (d) => d[0]?.health === (carrier ? "Healthy" : "Unhealthy"),
    );
    samples.push(performance.now() - started);
  }
  rows.push(timingRow("health change → ListAndWatch update (ms)", "in-process, protocol broker", samples));
}

/** Daemon process + the real link broker in a netns: Allocate with a real macvtap, and peer down/up. */
async function processWithLinkBroker(rows: Row[]): Promise<void> {
  await using node = await TestNetns.create("bench");
  await using peer = await TestNetns.create("benchpeer");
  await node.addVeth("lower0", "peer0", peer);
  await using tmp = await tempDir();
  const dir = tmp.path;
  await using kubelet = await KubeletDouble.start(dir);
  await using daemon = await spawnDaemon(dir, "lower0", await writeLinkBrokerScript(dir, node.name));
  const resource = "macvtap.network.kubevirt.io/lower0";
  await kubelet.waitForDevices(resource, "healthy", (d) => d[0]?.health === "Healthy");
  await new Promise((resolve) => setTimeout(resolve, 1000)); // settle after start-up
  const broker = brokerPid(daemon);
  const idle = brokerMemory(broker);
  // 100 devices: the first round creates fresh macvtaps; the second asks for the same devices again, as
  // the kubelet does for an app container reusing its init container's devices: the link is right, so it
  // is kept (a create answered EEXIST plus a listTempLinks). A pod start is normally the first kind. Each
  // answer waits for the allocation checkpoint's fdatasync.
  const samples = await timeAllocations(kubelet, resource, "lower0", ALLOCATIONS);
  for (
    const [metric, part] of [["fresh device", samples.slice(0, 100)], [
      "same device again, link kept",
      samples.slice(100),
    ]] as const
  ) {
    rows.push(
      timingRow(
        `Allocate round trip incl. macvtap create, ${metric} (ms)`,
        "process, link broker, netns",
        part,
      ),
    );
  }
  if (!(await node.link(tempLinkName("lower0Mvp0")))) throw new Error("bench: Allocate made no macvtap");
  await timeAllocations(kubelet, resource, "lower0", RSS_ALLOCATIONS - ALLOCATIONS);
  rows.push(brokerRssRow(idle, brokerMemory(broker)));
  const flips: number[] = [];
  for (let i = 0; i < 10; i++) {
    const up = i % 2 === 1;
    const started = performance.now();
    await peer.ip("link", "set", "peer0", up ? "up" : "down");
    await kubelet.waitForDevices(resource, "flip", (d) => d[0]?.health === (up ? "Healthy" : "Unhealthy"));
    flips.push(performance.now() - started);
  }
  rows.push(timingRow("peer down/up → ListAndWatch update (ms)", "process, link broker, netns", flips));
  const restarts: number[] = [];
  for (let i = 0; i < 5; i++) {
    await new Promise((resolve) => setTimeout(resolve, 1100)); // beyond the runner's 1 s restart spacing
    const count = kubelet.registrations.length;
    const started = performance.now();
    await kubelet.restart();
    await kubelet.waitUntil("re-registration", () => kubelet.registrations.length > count);
    restarts.push(performance.now() - started);
  }
  rows.push(
    timingRow("kubelet.sock re-created → registered again (ms)", "process, link broker, netns", restarts),
  );
}

/** The broker's memory at idle and after RSS_ALLOCATIONS Allocates (100 creates, then the same devices again, kept). */
function brokerRssRow(
  idle: { rssMiB: number; hwmMiB: number },
  after: { rssMiB: number; hwmMiB: number },
): Row {
  const raw = {
    idleMiB: idle.rssMiB,
    idleHwmMiB: idle.hwmMiB,
    afterMiB: after.rssMiB,
    afterHwmMiB: after.hwmMiB,
  };
  return {
    metric: "link broker RSS (MiB)",
    via: "process, link broker, netns",
    value: `idle ${idle.rssMiB} (peak ${idle.hwmMiB}), after ${RSS_ALLOCATIONS} Allocate ${after.rssMiB} ` +
      `(peak ${after.hwmMiB})`,
    raw,
  };
}

/** A table row for latency samples: the summary computed once, printed and kept raw. */
function timingRow(metric: string, via: string, samples: number[]): Row {
  const raw = summary(samples);
  return { metric, via, value: fmt(raw), raw };
}

function fmt(s: Record<string, number>): string {
  return `p50 ${s.p50}  p10–p90 ${s.p10}–${s.p90}  max ${s.max}  (n=${s.n})`;
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}

if (import.meta.main) {
  const rows: Row[] = [];
  await processWithFakeBroker(rows);
  await healthLatencyInProcess(rows);
  if (isRoot) await processWithLinkBroker(rows);
  else console.error("not root: skipping the netns (link broker) measurements");
  const width = Math.max(...rows.map((r) => r.metric.length));
  const viaWidth = Math.max(...rows.map((r) => r.via.length));
  for (const row of rows) {
    console.log(`${row.metric.padEnd(width)}  ${row.via.padEnd(viaWidth)}  ${row.value}`);
  }
  const jsonAt = Deno.args.indexOf("--json");
  if (jsonAt >= 0) {
    const file = Deno.args[jsonAt + 1];
    if (file === undefined) throw new Error("--json needs a file name");
    await Deno.writeTextFile(
      file,
      JSON.stringify({ deno: Deno.version.deno, rows }, null, 2) + "\n",
    );
  }
  Deno.exit(0);
}
