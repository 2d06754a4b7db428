/**
 * CNI ADD/DEL of the built plugin (dist/cni/macvtap) against the iproute2 floor: the same kernel moves
 * done with `ip` and `chown`, in the same run, interleaved (and in alternating order) so machine noise
 * hits both sides alike. Then the cold start of the plugin alone (a VERSION call: exec, host, module
 * start, no netlink) against two exec yardsticks, `/bin/true` and `ip -V`, interleaved the same way.
 *
 * Every program is exec'd as a runtime does it, from the node netns, by bench/exec_timer.c: times are
 * spawn to reaping, and each child's peak RSS and CPU time come from wait4().
 *
 * Needs root (throwaway netns), gcc (the timer) and a built dist/cni.
 *
 * @module
 */
import { tempLinkName } from "../daemon/macvtap/temp_link_name.ts";
import { TestNetns } from "../testing/netns.ts";
import { type Batch, EXEC_PATH, ExecTimer, type Job, mustSucceed } from "./exec_timer.ts";
import { type Ratio, ratio, summarize, type Summary } from "./stats.ts";

/** The plugin `deno task build` writes. */
export const PLUGIN = new URL("../dist/cni/macvtap", import.meta.url).pathname;
const IP = "/usr/bin/ip";
const CHOWN = "/usr/bin/chown";
const TRUE = "/bin/true";
const MAC = "02:5a:00:00:00:01";
/** The floor's ADD chain, in order (floorCycle). */
const FLOOR_ADD_STEPS = ["ip link set netns + name", "ip link set address + mtu", "ip link set up", "chown"];
const MTU = 1400;

/** Samples of one side of a comparison: time (ms), peak RSS (KiB), CPU time (ms). */
export interface Side {
  ms: Summary;
  maxrssKiB: Summary;
  cpuMs: Summary;
}

/** What one run of this bench measured. */
export interface CniBenchResult {
  runs: number;
  add: Side;
  floorAdd: Side;
  addRatio: Ratio;
  del: Side;
  floorDel: Side;
  delRatio: Ratio;
  coldStartRuns: number;
  version: Side;
  binTrue: Side;
  ipVersion: Side;
  /** VERSION over /bin/true: what the plugin adds to a bare exec. */
  versionRatio: Ratio;
  /** VERSION minus the /bin/true run next to it (ms): what the plugin's start costs beyond a bare exec. */
  versionOverTrue: Summary;
  /** p50 (ms) of each program of the floor's ADD chain: where the floor's time goes. */
  floorAddSteps: Record<string, number>;
}

/** Raw samples of one side. */
export class Samples {
  readonly ms: number[] = [];
  readonly maxrssKiB: number[] = [];
  readonly cpuMs: number[] = [];
  /** Time of each job of the batches, by position in the batch. */
  readonly stepMs: number[][] = [];

  /** Adds one batch: its wall time, its largest peak RSS, its summed CPU time. */
  add(batch: Batch): void {
    this.ms.push(batch.wallMs);
    this.maxrssKiB.push(Math.max(...batch.runs.map((r) => r.maxrssKiB)));
    this.cpuMs.push(batch.runs.reduce((sum, r) => sum + r.userMs + r.sysMs, 0));
    batch.runs.forEach((run, i) => (this.stepMs[i] ??= []).push(run.ms));
  }

  summary(): Side {
    return { ms: summarize(this.ms), maxrssKiB: summarize(this.maxrssKiB), cpuMs: summarize(this.cpuMs) };
  }
}

/** The timer (entered into `node`), the node netns holding `lower0`, and a pod netns. */
export interface Bench {
  timer: ExecTimer;
  node: TestNetns;
  pod: TestNetns;
}

/**
 * The exec of the plugin a runtime makes for `command` on `net1` of `pod` (no IPAM). Macvtaps on one
 * lower link need distinct MACs: pods that exist at once must each get their own `mac`.
 */
export function pluginJob(
  pod: TestNetns,
  command: string,
  deviceID: string,
  containerId: string,
  mac = MAC,
): Job {
  const config = { cniVersion: "1.0.0", name: "bench", type: "macvtap", deviceID, mac, mtu: MTU };
  const env = {
    PATH: EXEC_PATH,
    CNI_COMMAND: command,
    CNI_CONTAINERID: containerId,
    CNI_NETNS: pod.path,
    CNI_IFNAME: "net1",
    CNI_PATH: "/usr/lib/cni",
  };
  return { argv: [PLUGIN], env, stdin: JSON.stringify(config) };
}

function ipJob(...args: string[]): Job {
  return { argv: [IP, ...args], env: { PATH: EXEC_PATH } };
}

/** One ADD + DEL through the plugin, on a macvtap made (untimed) the way Allocate leaves it. */
async function pluginCycle({ timer, node, pod }: Bench, i: number): Promise<[Batch, Batch]> {
  const deviceID = `benchMvp${i}`;
  await node.addMacvtap(tempLinkName(deviceID), "lower0");
  const add = mustSucceed(await timer.sequence([pluginJob(pod, "ADD", deviceID, `bench${i}`)]), "plugin ADD");
  const del = mustSucceed(await timer.sequence([pluginJob(pod, "DEL", deviceID, `bench${i}`)]), "plugin DEL");
  return [add, del];
}

/** The same kernel work with iproute2: move+rename, MAC+MTU, up, chown /dev/tapN; then delete. */
export async function floorCycle({ timer, node, pod }: Bench): Promise<[Batch, Batch]> {
  const ifindex = await node.addMacvtap("mvtfloor", "lower0");
  const add = mustSucceed(
    await timer.sequence([
      ipJob("link", "set", "dev", "mvtfloor", "netns", pod.name, "name", "net1"),
      ipJob("-n", pod.name, "link", "set", "dev", "net1", "address", MAC, "mtu", String(MTU)),
      ipJob("-n", pod.name, "link", "set", "dev", "net1", "up"),
      { argv: [CHOWN, "107:107", `/dev/tap${ifindex}`], env: { PATH: EXEC_PATH } },
    ]),
    "floor ADD",
  );
  const del = mustSucceed(await timer.sequence([ipJob("-n", pod.name, "link", "del", "net1")]), "floor DEL");
  return [add, del];
}

/** VERSION of the plugin, /bin/true and `ip -V`, `runs` times each, the order rotating every round. */
async function coldStarts(timer: ExecTimer, runs: number): Promise<[Samples, Samples, Samples]> {
  const sides = [new Samples(), new Samples(), new Samples()] as const;
  const jobs: Job[] = [
    { argv: [PLUGIN], env: { PATH: EXEC_PATH, CNI_COMMAND: "VERSION" }, stdin: `{"cniVersion":"1.0.0"}` },
    { argv: [TRUE], env: { PATH: EXEC_PATH } },
    ipJob("-V"),
  ];
  for (let round = 0; round < runs; round++) {
    for (let k = 0; k < jobs.length; k++) {
      const which = (round + k) % jobs.length;
      const job = jobs[which]!;
      sides[which]!.add(mustSucceed(await timer.sequence([job]), `cold start of ${job.argv[0]}`));
    }
  }
  return [...sides];
}

/**
 * Runs `runs` interleaved cycles of each side (plus one untimed warm-up each), then `coldStartRuns`
 * rounds of the exec yardsticks.
 *
 * Requires root, gcc and `deno task build`; `--allow-all` in practice (netns, processes, temp files).
 */
export async function benchCni(runs = 60, coldStartRuns = 100): Promise<CniBenchResult> {
  await using node = await TestNetns.create("bench-node");
  await using pod = await TestNetns.create("bench-pod");
  await node.addVeth("lower0", "peer0");
  await using timer = await ExecTimer.start(node.path);
  const bench = { timer, node, pod };
  await pluginCycle(bench, -1);
  await floorCycle(bench);
  const [add, del, floorAdd, floorDel] = [new Samples(), new Samples(), new Samples(), new Samples()];
  for (let i = 0; i < runs; i++) {
    const pluginFirst = i % 2 === 0;
    const floor = pluginFirst ? undefined : await floorCycle(bench);
    const plugin = await pluginCycle(bench, i);
    const [floorAddBatch, floorDelBatch] = floor ?? await floorCycle(bench);
    add.add(plugin[0]);
    del.add(plugin[1]);
    floorAdd.add(floorAddBatch);
    floorDel.add(floorDelBatch);
  }
  const [version, binTrue, ipVersion] = await coldStarts(timer, coldStartRuns);
  return {
    runs,
    add: add.summary(),
    floorAdd: floorAdd.summary(),
    addRatio: ratio(add.ms, floorAdd.ms),
    del: del.summary(),
    floorDel: floorDel.summary(),
    delRatio: ratio(del.ms, floorDel.ms),
    coldStartRuns,
    version: version.summary(),
    binTrue: binTrue.summary(),
    ipVersion: ipVersion.summary(),
    versionRatio: ratio(version.ms, binTrue.ms),
    versionOverTrue: summarize(version.ms.map((ms, i) => ms - binTrue.ms[i]!)),
    floorAddSteps: Object.fromEntries(
      FLOOR_ADD_STEPS.map((step, i) => [step, summarize(floorAdd.stepMs[i]!).p50]),
    ),
  };
}

if (import.meta.main) {
  const result = await benchCni(Number(Deno.args[0] ?? 60), Number(Deno.args[1] ?? 100));
  console.log(JSON.stringify(result, null, 2));
}
