/**
 * Concurrency: 50 pods starting at once on one node. Each round allocates 50 devices through the real
 * daemon and link broker (50 temp macvtaps on one lower link, kernel-chosen ifindexes), creates 50 pod
 * netns, then execs the 50 CNI ADDs together and, once all are done, the 50 DELs together. It reports the
 * wall time of each burst and every call's latency inside it, checks that every call succeeded and that
 * the 50 pods hold 50 distinct /dev/tapN.
 *
 * Yardsticks, measured in the same process between the rounds: the iproute2 floor of one ADD and one DEL
 * (bench/cni_bench.ts), and the plugin's own ADD and DEL one at a time. A burst's wall over 50 × the
 * floor's p50 says how a node starting 50 pods compares with doing the same moves by hand one by one.
 * Every exec comes from bench/exec_timer.c in the node netns, as a runtime's would. No IPAM, like
 * bench/cni_bench.ts: this measures the plugin and the kernel.
 *
 * `deno run -A bench/concurrency_bench.ts [--json FILE]`. Needs root, gcc and `deno task build`.
 *
 * @module
 */
import { DaemonNode } from "../daemon/testing/daemon_node.ts";
import { tapExists } from "../testing/leaks.ts";
import type { Allocation } from "../testing/test_node.ts";
import { TestNetns } from "../testing/netns.ts";
import { type Bench, floorCycle, pluginJob, Samples, type Side } from "./cni_bench.ts";
import { type Batch, ExecTimer, mustSucceed } from "./exec_timer.ts";
import { describe, describeRatio, type Ratio, ratio, round2, summarize, type Summary } from "./stats.ts";

/** Pods per burst. */
export const BURST = 50;
const ROUNDS = 5;
/** Serial yardstick cycles (floor and plugin each) before every round. */
const SERIAL_PER_ROUND = 6;

/** What the concurrency bench measured (ms unless named otherwise). */
export interface ConcurrencyResult {
  burst: number;
  rounds: number;
  /** Calls that exited 0, of all made in the bursts (ADDs and DELs of every round). */
  succeeded: number;
  calls: number;
  /** Distinct /dev/tapN held by the pods of each round (each must be `burst`). */
  distinctTapsPerRound: number[];
  allocateWall: Summary;
  addWall: Summary;
  addEach: Summary;
  delWall: Summary;
  delEach: Summary;
  floorAdd: Side;
  floorDel: Side;
  serialAdd: Side;
  serialDel: Side;
  /** Burst wall over `burst` × the floor's p50; paired: each round over its own floor samples' p50. */
  addWallVsFloor: Ratio;
  delWallVsFloor: Ratio;
  /** Burst wall over `burst` × the plugin's serial p50: 1 = no overlap at all, lower = the burst overlaps. */
  addWallVsSerial: Ratio;
}

interface Pod {
  allocation: Allocation;
  netns: TestNetns;
  containerId: string;
}

/** Allocates `count` devices at once and makes a pod netns for each. */
async function preparePods(node: DaemonNode, count: number, round: number): Promise<[Pod[], number]> {
  const started = performance.now();
  const allocations = await Promise.all(
    Array.from({ length: count }, (_, i) => node.allocate(`lower0Mvp${i}`)),
  );
  const wall = performance.now() - started;
  const pods: Pod[] = [];
  for (const [i, allocation] of allocations.entries()) {
    pods.push({ allocation, netns: await TestNetns.create("burst-pod"), containerId: `burst${round}x${i}` });
  }
  return [pods, wall];
}

/** Distinct /dev/tapN held by the pods after the ADD burst (each pod's net1 must be its own device). */
async function distinctTaps(pods: Pod[]): Promise<number> {
  const taps = new Set<number>();
  for (const pod of pods) {
    const link = await pod.netns.link("net1");
    if (link?.ifindex === pod.allocation.ifindex && tapExists(link.ifindex)) taps.add(link.ifindex);
  }
  return taps.size;
}

/** Execs `command` for every pod at once, each pod with a MAC of its own. */
function burst(timer: ExecTimer, command: string, pods: Pod[]): Promise<Batch> {
  const mac = (i: number) => `02:5a:00:00:01:${i.toString(16).padStart(2, "0")}`;
  return timer.parallel(
    pods.map((pod, i) => pluginJob(pod.netns, command, pod.allocation.deviceId, pod.containerId, mac(i))),
  );
}

/** Yardstick samples, kept per round so each round's burst can be set against its own. */
class Yardsticks {
  readonly floorAdd = new Samples();
  readonly floorDel = new Samples();
  readonly serialAdd = new Samples();
  readonly serialDel = new Samples();
  /** p50 of each round's floor ADD and DEL samples. */
  readonly roundFloorAdd: number[] = [];
  readonly roundFloorDel: number[] = [];

  /** `count` floor cycles and `count` plugin ADD + DEL one at a time, alternating. */
  async measure(node: DaemonNode, timer: ExecTimer, count: number): Promise<void> {
    await using pod = await TestNetns.create("burst-serial");
    const bench: Bench = { timer, node: node.test.node, pod };
    const add: number[] = [];
    const del: number[] = [];
    for (let i = 0; i < count; i++) {
      const [floorAdd, floorDel] = await floorCycle(bench);
      this.floorAdd.add(floorAdd);
      this.floorDel.add(floorDel);
      add.push(floorAdd.wallMs);
      del.push(floorDel.wallMs);
      const allocation = await node.allocate(`lower0Mvp${i}`);
      const job = (command: string) => pluginJob(pod, command, allocation.deviceId, `serial${i}`);
      this.serialAdd.add(mustSucceed(await timer.sequence([job("ADD")]), "serial ADD"));
      this.serialDel.add(mustSucceed(await timer.sequence([job("DEL")]), "serial DEL"));
    }
    this.roundFloorAdd.push(summarize(add).p50);
    this.roundFloorDel.push(summarize(del).p50);
  }
}

/** Wall of each burst over `size` × the yardstick: of the medians, and each round against its own. */
function vsYardstick(walls: number[], yardstick: number[], roundYardsticks: number[], size: number): Ratio {
  const ofMedians = round2(summarize(walls).p50 / (size * summarize(yardstick).p50));
  return { ofMedians, paired: ratio(walls, roundYardsticks.map((p50) => size * p50)).paired };
}

/**
 * Runs the bench on a fresh node.
 *
 * Requires root, gcc, `deno task build`, `--allow-all` in practice (netns, processes, temp files).
 */
export async function benchConcurrency(size = BURST, rounds = ROUNDS): Promise<ConcurrencyResult> {
  await using node = await DaemonNode.start("burst", { capacity: size });
  await using timer = await ExecTimer.start(node.test.node.path);
  await new Yardsticks().measure(node, timer, 1); // warm-up, not counted
  const yardsticks = new Yardsticks();
  const walls = { allocate: [] as number[], add: [] as number[], del: [] as number[] };
  const each = { add: [] as number[], del: [] as number[] };
  const distinct: number[] = [];
  let succeeded = 0;
  let failure = "";
  for (let round = 0; round < rounds; round++) {
    await yardsticks.measure(node, timer, SERIAL_PER_ROUND);
    const [pods, allocateWall] = await preparePods(node, size, round);
    await using stack = new AsyncDisposableStack();
    for (const pod of pods) stack.use(pod.netns);
    walls.allocate.push(allocateWall);
    const adds = await burst(timer, "ADD", pods);
    distinct.push(await distinctTaps(pods));
    const dels = await burst(timer, "DEL", pods);
    for (const [batch, wall, times] of [[adds, walls.add, each.add], [dels, walls.del, each.del]] as const) {
      wall.push(batch.wallMs);
      times.push(...batch.runs.map((run) => run.ms));
      for (const run of batch.runs) {
        if (run.code === 0) succeeded++;
        else failure ||= `exit ${run.code}: ${run.stdout}${run.stderr}`;
      }
    }
  }
  if (failure) console.error(`concurrency bench: a call failed, e.g.\n  ${failure}`);
  const serialAdd = yardsticks.serialAdd.summary();
  return {
    burst: size,
    rounds,
    succeeded,
    calls: 2 * size * rounds,
    distinctTapsPerRound: distinct,
    allocateWall: summarize(walls.allocate),
    addWall: summarize(walls.add),
    addEach: summarize(each.add),
    delWall: summarize(walls.del),
    delEach: summarize(each.del),
    floorAdd: yardsticks.floorAdd.summary(),
    floorDel: yardsticks.floorDel.summary(),
    serialAdd,
    serialDel: yardsticks.serialDel.summary(),
    addWallVsFloor: vsYardstick(walls.add, yardsticks.floorAdd.ms, yardsticks.roundFloorAdd, size),
    delWallVsFloor: vsYardstick(walls.del, yardsticks.floorDel.ms, yardsticks.roundFloorDel, size),
    addWallVsSerial: { ofMedians: round2(summarize(walls.add).p50 / (size * serialAdd.ms.p50)) },
  };
}

/** The result as `[metric, value]` rows for the bench table. */
export function concurrencyRows(r: ConcurrencyResult): [string, string][] {
  return [
    [`succeeded (ADD + DEL, ${r.rounds} rounds of ${r.burst})`, `${r.succeeded}/${r.calls}`],
    ["distinct /dev/tapN in the pods, per round", r.distinctTapsPerRound.join(", ")],
    [`${r.burst} concurrent Allocates, wall`, describe(r.allocateWall)],
    [`${r.burst} concurrent ADDs, wall`, describe(r.addWall)],
    ["  each ADD inside the burst", describe(r.addEach)],
    ["  floor ADD, one at a time (yardstick)", describe(r.floorAdd.ms)],
    [`  wall / (${r.burst} × floor ADD p50)`, describeRatio(r.addWallVsFloor)],
    ["  plugin ADD, one at a time", describe(r.serialAdd.ms)],
    [`  wall / (${r.burst} × plugin ADD p50)`, describeRatio(r.addWallVsSerial)],
    [`${r.burst} concurrent DELs, wall`, describe(r.delWall)],
    ["  each DEL inside the burst", describe(r.delEach)],
    ["  floor DEL, one at a time (yardstick)", describe(r.floorDel.ms)],
    [`  wall / (${r.burst} × floor DEL p50)`, describeRatio(r.delWallVsFloor)],
    ["  plugin DEL, one at a time", describe(r.serialDel.ms)],
  ];
}

if (import.meta.main) {
  const result = await benchConcurrency();
  for (const [metric, value] of concurrencyRows(result)) console.log(`${metric.padEnd(50)} ${value}`);
  const jsonAt = Deno.args.indexOf("--json");
  const jsonFile = jsonAt >= 0 ? Deno.args[jsonAt + 1] : undefined;
  if (jsonAt >= 0 && jsonFile === undefined) throw new Error("--json needs a file name");
  if (jsonFile !== undefined) await Deno.writeTextFile(jsonFile, JSON.stringify(result, null, 2) + "\n");
  // grpc-js keeps timers of the closed kubelet double alive for a while; the figures are written.
  Deno.exit(0);
}
