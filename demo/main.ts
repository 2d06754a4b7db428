/**
 * `deno task demo`: the whole pod-start path on one machine, in throwaway network namespaces.
 *
 * A "node" netns with an uplink wired to a "switch" port in another netns, a "pod" netns; the device plugin
 * daemon (sandboxed, its link broker inside the node) registered with a KUBELET STAND-IN (daemon/testing/
 * kubelet_double.ts — not a kubelet); Allocate; the CNI invoked exactly as Multus would; frames through
 * /dev/tapN as QEMU's uid 107 in both directions; DEL; and everything removed again, also on Ctrl-C or on
 * failure. Needs root.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { execPlugin, type PluginRun } from "../testing/plugin_exec.ts";
import type { AllocateResponse } from "../daemon/kubelet/api_types.ts";
import { tempLinkName } from "../daemon/macvtap/temp_link_name.ts";
import { writeLinkBrokerScript } from "../daemon/testing/broker_scripts.ts";
import { DaemonProcess } from "../daemon/testing/daemon_process.ts";
import { KubeletDouble } from "../daemon/testing/kubelet_double.ts";
import { TestNetns } from "../testing/netns.ts";
import { Steps } from "./steps.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const PLUGIN = `${ROOT}dist/cni/macvtap`;
const TAP_IO = `${ROOT}demo/tap_io.py`;
const RESOURCE = "macvtap.network.kubevirt.io/uplink0";
const VM_MAC = "02:6d:76:00:00:07";
const QEMU_UID = "107";
/** Every /dev/tapN the demo was handed, checked after cleanup. */
const DEMO_TAPS = new Set<string>();
/** KubeVirt names the pod interface "pod" + 11 hex digits of sha256(network name). */
const POD_IFNAME = "pod" + await sha256Hex("default/macvtap-demo", 11);

async function sha256Hex(text: string, digits: number): Promise<string> {
  const hash = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  return [...hash].map((b) => b.toString(16).padStart(2, "0")).join("").slice(0, digits);
}

async function sh(command: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(command, { args, stdout: "piped", stderr: "piped" }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  if (!out.success) throw new Error(`${command} ${args.join(" ")} failed: ${text.trim()}`);
  return text.trimEnd();
}

/** What the demo created, for the steps that follow. */
interface World {
  node: TestNetns;
  wire: TestNetns;
  pod: TestNetns;
  dir: string;
  kubelet?: KubeletDouble;
  daemon?: DaemonProcess;
  tap?: string;
  config?: string;
  cniEnv?: Record<string, string>;
}

async function createNetworks(stack: AsyncDisposableStack, steps: Steps): Promise<World> {
  const node = stack.use(await TestNetns.create("demo-node"));
  const wire = stack.use(await TestNetns.create("demo-switch"));
  const pod = stack.use(await TestNetns.create("demo-pod"));
  await node.addVeth("uplink0", "port0", wire);
  const dir = await Deno.makeTempDir({ prefix: "macvtap-demo-" });
  stack.defer(() => Deno.remove(dir, { recursive: true }));
  steps.note(`node netns ${node.name}: uplink0 (the node's NIC), wired to port0 in ${wire.name}`);
  steps.note(`pod netns  ${pod.name}`);
  return { node, wire, pod, dir };
}

async function startDevicePlugin(world: World, stack: AsyncDisposableStack, steps: Steps): Promise<void> {
  const configFile = `${world.dir}/DP_MACVTAP_CONF`;
  await Deno.writeTextFile(
    configFile,
    JSON.stringify([{ name: "uplink0", lowerDevice: "uplink0", capacity: 4 }]),
  );
  world.kubelet = stack.use(await KubeletDouble.start(world.dir));
  const broker = await writeLinkBrokerScript(world.dir, world.node.name);
  world.daemon = stack.use(DaemonProcess.spawn({
    pluginDir: world.dir,
    podResourcesSocket: `${world.dir}/pod-resources.sock`,
    configFile,
    broker,
  }, ["--gc-interval", "0"]));
  await world.kubelet.waitForRegistration(RESOURCE);
  const devices = await world.kubelet.waitForDevices(RESOURCE, "4 devices", (d) => d.length === 4);
  steps.note(`config: ${await Deno.readTextFile(configFile)}`);
  steps.note(`registered ${RESOURCE} on ${world.dir}/macvtap.network.kubevirt.io_uplink0`);
  steps.note(`devices: ${devices.map((d) => `${d.ID} ${d.health}`).join(", ")}`);
}

async function allocate(world: World, steps: Steps): Promise<string> {
  const kubelet = world.kubelet!;
  const preferred = await kubelet.preferred(RESOURCE, {
    available_deviceIDs: ["uplink0Mvp3", "uplink0Mvp1", "uplink0Mvp2"],
    must_include_deviceIDs: [],
    allocation_size: 1,
  });
  const deviceID = preferred.container_responses[0]?.deviceIDs[0];
  if (deviceID === undefined) throw new Error("GetPreferredAllocation preferred no device");
  steps.note(`GetPreferredAllocation(Mvp3, Mvp1, Mvp2; 1) → ${deviceID}`);
  const response: AllocateResponse = await kubelet.allocate(RESOURCE, [deviceID]);
  const spec = response.container_responses[0]?.devices[0];
  if (spec === undefined) throw new Error(`Allocate(${deviceID}) answered no DeviceSpec`);
  steps.note(`Allocate(${deviceID}) → DeviceSpec ${spec.host_path} (${spec.permissions})`);
  steps.note(await world.node.ip("-d", "-br", "link", "show", tempLinkName(deviceID)));
  steps.note(await sh("ls", ["-l", spec.host_path]));
  world.tap = spec.host_path;
  DEMO_TAPS.add(world.tap);
  return deviceID;
}

function mustSucceed(run: PluginRun, what: string): void {
  if (run.code !== 0) throw new Error(`${what} failed (exit ${run.code}): ${run.stdout}${run.stderr}`);
}

async function cniAdd(world: World, deviceID: string, steps: Steps): Promise<void> {
  // What Multus hands the delegate: the NAD config with deviceID and pciBusID injected, runtimeConfig for the
  // declared capability, and its CNI_ARGS (IgnoreUnknown, the K8S_POD_* keys, MAC= from the networks annotation).
  world.config = JSON.stringify({
    cniVersion: "1.0.0",
    name: "macvtap-demo",
    type: "macvtap",
    capabilities: { mac: true },
    ipam: { type: "host-local", dataDir: `${world.dir}/ipam`, ranges: [[{ subnet: "10.77.0.0/24" }]] },
    deviceID,
    pciBusID: deviceID,
    runtimeConfig: { mac: VM_MAC },
  });
  world.cniEnv = {
    CNI_CONTAINERID: "0123456789abcdef0123456789abcdef",
    CNI_NETNS: world.pod.path,
    CNI_IFNAME: POD_IFNAME,
    CNI_PATH: `${ROOT}dist/cni:/usr/lib/cni`,
    CNI_ARGS: `IgnoreUnknown=true;K8S_POD_NAMESPACE=default;K8S_POD_NAME=virt-launcher-demo;` +
      `K8S_POD_INFRA_CONTAINER_ID=0123456789abcdef;K8S_POD_UID=5f0c-demo;MAC=${VM_MAC}`,
  };
  const added = await execPlugin({
    binary: PLUGIN,
    env: { ...world.cniEnv, CNI_COMMAND: "ADD" },
    stdin: world.config,
    netnsPath: world.node.path,
  });
  mustSucceed(added, "CNI ADD");
  steps.note(`exec ${PLUGIN} (CNI_COMMAND=ADD CNI_IFNAME=${POD_IFNAME}, run inside the node netns)`);
  for (const line of added.stdout.trimEnd().split("\n")) steps.note(line);
}

async function showPod(world: World, steps: Steps): Promise<void> {
  for (const line of (await world.pod.ip("-d", "addr", "show", POD_IFNAME)).split("\n")) steps.note(line);
  steps.note(await sh("ls", ["-l", world.tap!]));
}

async function frameFromVm(world: World, steps: Steps): Promise<void> {
  const capture = new Deno.Command("ip", {
    args: [
      "netns",
      "exec",
      world.wire.name,
      "tcpdump",
      "-l",
      "-n",
      "-e",
      "-c",
      "1",
      "-i",
      "port0",
      "ether proto 0x88b5",
    ],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  await listening(capture.stderr);
  await sh("python3", [
    TAP_IO,
    "write",
    world.tap!,
    QEMU_UID,
    "ff:ff:ff:ff:ff:ff",
    VM_MAC,
    "hello from the VM",
  ]);
  const [seen] = await Promise.all([new Response(capture.stdout).text(), capture.status]);
  steps.note(`uid ${QEMU_UID} wrote one frame to ${world.tap}; tcpdump on the switch port saw:`);
  steps.note(seen.trim());
}

/**
 * Resolves once tcpdump's whole "listening on …" line is out (then no frame can slip past it), and goes on
 * reading its stderr to the end: a tcpdump whose stderr was closed under it (stopping at the first chunk
 * that held "listening on" did that) exits without printing the frame it captured.
 */
function listening(stderr: ReadableStream<Uint8Array>): Promise<void> {
  return new Promise((resolve, reject) => {
    (async () => {
      let text = "";
      for await (const chunk of stderr.pipeThrough(new TextDecoderStream())) {
        text += chunk;
        if (/listening on .*\n/.test(text)) resolve();
      }
      reject(new Error(`tcpdump did not start: ${text}`));
    })().catch(reject);
  });
}

async function frameToVm(world: World, steps: Steps): Promise<void> {
  const reader = new Deno.Command("python3", {
    args: [TAP_IO, "read", world.tap!, QEMU_UID, "88b5", "5"],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  await new Promise((resolve) => setTimeout(resolve, 300)); // the reader opens the tap first
  await world.wire.ip("link", "show", "port0");
  await sh("ip", ["netns", "exec", world.wire.name, "python3", TAP_IO, "send", "port0", VM_MAC, "hello VM"]);
  const got = await reader.output();
  if (!got.success) throw new Error(`no frame reached ${world.tap}: ${new TextDecoder().decode(got.stderr)}`);
  steps.note(`port0 sent one frame to ${VM_MAC}; uid ${QEMU_UID} read from ${world.tap}:`);
  steps.note(new TextDecoder().decode(got.stdout).trim());
}

async function cniDel(world: World, steps: Steps): Promise<void> {
  const deleted = await execPlugin({
    binary: PLUGIN,
    env: { ...world.cniEnv!, CNI_COMMAND: "DEL" },
    stdin: world.config!,
    netnsPath: world.node.path,
  });
  mustSucceed(deleted, "CNI DEL");
  const leases = [...Deno.readDirSync(`${world.dir}/ipam/macvtap-demo`)].map((e) => e.name)
    .filter((name) => /^\d+\.\d+\.\d+\.\d+$/.test(name));
  steps.note(`pod links now: ${(await world.pod.links()).map((l) => l.ifname).join(", ")}`);
  steps.note(`${world.tap} ${await Deno.stat(world.tap!).then(() => "still exists", () => "is gone")}`);
  steps.note(`IPAM leases held: ${leases.length === 0 ? "none" : leases.join(", ")}`);
}

async function main(): Promise<number> {
  if (Deno.uid() !== 0) {
    console.error("deno task demo needs root: it creates network namespaces and macvtap links");
    return 1;
  }
  const steps = new Steps();
  await using stack = new AsyncDisposableStack();
  const interrupted = new Promise<number>((resolve) => {
    for (const signal of ["SIGINT", "SIGTERM"] as const) Deno.addSignalListener(signal, () => resolve(130));
  });
  const demo = (async () => {
    const world = await steps.run(
      "Create the node, a switch port and a pod (throwaway netns)",
      (s) => createNetworks(stack, s),
    );
    await steps.run(
      "Start the device plugin daemon and a kubelet stand-in",
      (s) => startDevicePlugin(world, stack, s),
    );
    const deviceID = await steps.run(
      "kubelet stand-in: GetPreferredAllocation and Allocate",
      (s) => allocate(world, s),
    );
    await steps.run(
      "Multus stand-in: CNI ADD with the allocated deviceID",
      (s) => cniAdd(world, deviceID, s),
    );
    await steps.run("The pod's interface and the tap device", (s) => showPod(world, s));
    await steps.run(
      "VM → wire: a frame written to /dev/tapN reaches the switch port",
      (s) => frameFromVm(world, s),
    );
    await steps.run("wire → VM: a frame to the VM's MAC is read from /dev/tapN", (s) => frameToVm(world, s));
    await steps.run("CNI DEL: link deleted in the pod, lease released", (s) => cniDel(world, s));
    await steps.run("Stop the daemon", async (s) => {
      const status = await world.daemon!.stop();
      s.note(`daemon exited with code ${status.code}`);
    });
    return 0;
  })();
  const code = await Promise.race([demo, interrupted]).catch((error) => {
    console.error(`\ndemo failed: ${(error as Error).message}`);
    return 1;
  });
  console.log(`\ncleaning up (netns, links, sockets, processes) ...`);
  return code;
}

if (import.meta.main) {
  const code = await main();
  await Steps.reportLeftovers(DEMO_TAPS);
  Deno.exit(code);
}
