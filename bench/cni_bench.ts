/**
 * CNI ADD/DEL of the built plugin (dist/cni/macvtap) against the iproute2 floor:
 * the same kernel steps done with `ip` and `chown` in the same run, interleaved so
 * machine noise hits both sides alike. Also the cold start of the plugin alone
 * (a VERSION call: launcher, Deno, host, wasm instantiation, no netlink).
 *
 * Needs root (throwaway netns) and a built dist/cni.
 *
 * @module
 */
import { execPlugin, type PluginRun } from "../conformance/harness/runner.ts";
import { tempLinkName } from "../daemon/macvtap/temp_link_name.ts";
import { TestNetns } from "../testing/netns.ts";
import { summarize, type Summary, timed } from "./stats.ts";

const PLUGIN = new URL("../dist/cni/macvtap", import.meta.url).pathname;
const MAC = "02:5a:00:00:00:01";
const MTU = 1400;

/** What one run of this bench measured (milliseconds). */
export interface CniBenchResult {
  runs: number;
  add: Summary;
  del: Summary;
  floorAdd: Summary;
  floorDel: Summary;
  /** p50(ADD) / p50(floor ADD), and the same for DEL. */
  addRatio: number;
  delRatio: number;
  coldStartVersion: Summary;
}

function mustSucceed(run: PluginRun, what: string): void {
  if (run.code !== 0) throw new Error(`${what} failed (exit ${run.code}): ${run.stdout}${run.stderr}`);
}

async function ipRun(...args: string[]): Promise<void> {
  const out = await new Deno.Command("ip", { args, stderr: "piped" }).output();
  if (!out.success) throw new Error(`ip ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
}

async function chownTap(ifindex: number): Promise<void> {
  const out = await new Deno.Command("chown", { args: ["107:107", `/dev/tap${ifindex}`] }).output();
  if (!out.success) throw new Error(`chown /dev/tap${ifindex} failed`);
}

interface Pair {
  node: TestNetns;
  pod: TestNetns;
}

/** One ADD + DEL through the plugin; returns [add ms, del ms]. */
async function pluginCycle({ node, pod }: Pair, i: number): Promise<[number, number]> {
  const deviceID = `benchMvp${i}`;
  await node.addMacvtap(tempLinkName(deviceID), "lower0");
  const config = JSON.stringify({
    cniVersion: "1.0.0",
    name: "bench",
    type: "macvtap",
    deviceID,
    mac: MAC,
    mtu: MTU,
  });
  const env = {
    CNI_CONTAINERID: `bench${i}`,
    CNI_NETNS: pod.path,
    CNI_IFNAME: "net1",
    CNI_PATH: "/usr/lib/cni",
  };
  let added: PluginRun | undefined;
  const add = await timed(async () => {
    added = await execPlugin({
      binary: PLUGIN,
      env: { ...env, CNI_COMMAND: "ADD" },
      stdin: config,
      netnsPath: node.path,
    });
  });
  mustSucceed(added!, "ADD");
  let deleted: PluginRun | undefined;
  const del = await timed(async () => {
    deleted = await execPlugin({
      binary: PLUGIN,
      env: { ...env, CNI_COMMAND: "DEL" },
      stdin: config,
      netnsPath: node.path,
    });
  });
  mustSucceed(deleted!, "DEL");
  return [add, del];
}

/** The same kernel work with iproute2: move+rename, MAC+MTU, up, chown; then delete. */
async function floorCycle({ node, pod }: Pair): Promise<[number, number]> {
  const ifindex = await node.addMacvtap("mvtfloor", "lower0");
  const add = await timed(async () => {
    await ipRun("-n", node.name, "link", "set", "dev", "mvtfloor", "netns", pod.name, "name", "net1");
    await ipRun("-n", pod.name, "link", "set", "dev", "net1", "address", MAC, "mtu", String(MTU));
    await ipRun("-n", pod.name, "link", "set", "dev", "net1", "up");
    await chownTap(ifindex);
  });
  const del = await timed(() => ipRun("-n", pod.name, "link", "del", "net1"));
  return [add, del];
}

async function coldStart(runs: number): Promise<Summary> {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    let run: PluginRun | undefined;
    samples.push(
      await timed(async () => {
        run = await execPlugin({
          binary: PLUGIN,
          env: { CNI_COMMAND: "VERSION" },
          stdin: `{"cniVersion":"1.0.0"}`,
        });
      }),
    );
    mustSucceed(run!, "VERSION");
  }
  return summarize(samples);
}

/** Runs `runs` interleaved cycles of each side (plus one untimed warm-up each). */
export async function benchCni(runs = 30): Promise<CniBenchResult> {
  await using node = await TestNetns.create("bench-node");
  await using pod = await TestNetns.create("bench-pod");
  await node.addVeth("lower0", "peer0");
  const pair = { node, pod };
  await pluginCycle(pair, -1);
  await floorCycle(pair);
  const samples = {
    add: [] as number[],
    del: [] as number[],
    floorAdd: [] as number[],
    floorDel: [] as number[],
  };
  for (let i = 0; i < runs; i++) {
    const [add, del] = await pluginCycle(pair, i);
    const [floorAdd, floorDel] = await floorCycle(pair);
    samples.add.push(add);
    samples.del.push(del);
    samples.floorAdd.push(floorAdd);
    samples.floorDel.push(floorDel);
  }
  const result = {
    runs,
    add: summarize(samples.add),
    del: summarize(samples.del),
    floorAdd: summarize(samples.floorAdd),
    floorDel: summarize(samples.floorDel),
    addRatio: 0,
    delRatio: 0,
    coldStartVersion: await coldStart(runs),
  };
  result.addRatio = Math.round((result.add.p50 / result.floorAdd.p50) * 100) / 100;
  result.delRatio = Math.round((result.del.p50 / result.floorDel.p50) * 100) / 100;
  return result;
}

if (import.meta.main) console.log(JSON.stringify(await benchCni(Number(Deno.args[0] ?? 30)), null, 2));
