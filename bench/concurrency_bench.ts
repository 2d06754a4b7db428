/**
 * Concurrency: 50 pods starting at once on one node. Each round allocates 50 devices through the real
 * daemon and link broker (50 temp macvtaps on one lower link, kernel-chosen ifindexes), creates 50 pod
 * netns, then starts the 50 CNI ADDs together and, once all are done, the 50 DELs together. Reports the
 * wall time of each burst and every single ADD's and DEL's latency inside it, checks that every call
 * succeeded and that the 50 pods hold 50 distinct /dev/tapN, and, as the yardstick measured in the same
 * run, the latency of ADDs done one at a time (so wall / (50 × serial p50) says how much the burst
 * overlaps). No IPAM, like bench/cni_bench.ts: this measures the plugin and the kernel.
 *
 * `deno run -A bench/concurrency_bench.ts [--json FILE]`. Needs root and `deno task build`.
 *
 * @module
 */
import { describeRun, type PluginRun } from "../conformance/harness/runner.ts";
import { DaemonNode } from "../faults/harness/daemon_node.ts";
import { tapExists } from "../faults/harness/leaks.ts";
import type { Allocation } from "../integration/harness/test_node.ts";
import { macvtapConfig } from "../integration/harness/test_node.ts";
import { TestNetns } from "../testing/netns.ts";
import { describe, summarize, type Summary } from "./stats.ts";

/** Pods per burst. */
export const BURST = 50;
const ROUNDS = 3;
const SERIAL_RUNS = 10;

/** What the concurrency bench measured (ms unless named otherwise). */
export interface ConcurrencyResult {
  burst: number;
  rounds: number;
  /** Calls that exited 0, of all made (ADDs and DELs of every round). */
  succeeded: number;
  calls: number;
  /** Distinct /dev/tapN held by the pods of each round (each must be `burst`). */
  distinctTapsPerRound: number[];
  allocateWall: Summary;
  addWall: Summary;
  addEach: Summary;
  delWall: Summary;
  delEach: Summary;
  serialAdd: Summary;
  /** p50 of addWall / (burst × p50 of serialAdd): 1 = no overlap at all, lower = the burst overlaps. */
  addWallVsSerial: number;
}

interface Pod {
  allocation: Allocation;
  netns: TestNetns;
  containerId: string;
}

/** Execs `command` for one pod and times it. */
async function timedRun(node: DaemonNode, command: string, pod: Pod): Promise<[PluginRun, number]> {
  const config = macvtapConfig("1.0.0", "burst", { deviceID: pod.allocation.deviceId });
  const attachment = { containerId: pod.containerId, ifname: "net1", pod: pod.netns };
  const started = performance.now();
  const run = await node.test.run(command, attachment, config);
  return [run, performance.now() - started];
}

/** Runs `command` for every pod at once; returns the wall time, each call's time, and the runs. */
async function burst(node: DaemonNode, command: string, pods: Pod[]) {
  const started = performance.now();
  const timedRuns = await Promise.all(pods.map((pod) => timedRun(node, command, pod)));
  return {
    wall: performance.now() - started,
    each: timedRuns.map(([, ms]) => ms),
    runs: timedRuns.map(([r]) => r),
  };
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

/** ADD then DEL, one pod at a time: the yardstick for the bursts. */
async function serialAdds(node: DaemonNode, runs: number): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const [[pod]] = await preparePods(node, 1, -1 - i);
    await using _netns = pod.netns;
    const [add, ms] = await timedRun(node, "ADD", pod);
    if (add.code !== 0) throw new Error(`serial ADD failed: ${describeRun(add)}`);
    samples.push(ms);
    const [del] = await timedRun(node, "DEL", pod);
    if (del.code !== 0) throw new Error(`serial DEL failed: ${describeRun(del)}`);
  }
  return samples;
}

/**
 * Runs the bench on a fresh node.
 *
 * Requires root, `deno task build`, `--allow-all` in practice (netns, processes, temp files).
 */
export async function benchConcurrency(size = BURST, rounds = ROUNDS): Promise<ConcurrencyResult> {
  await using node = await DaemonNode.start("burst", { capacity: size });
  const serial = await serialAdds(node, SERIAL_RUNS);
  const samples = { allocateWall: [] as number[], addWall: [] as number[], addEach: [] as number[] };
  const dels = { delWall: [] as number[], delEach: [] as number[] };
  const distinct: number[] = [];
  let succeeded = 0;
  let failure = "";
  for (let round = 0; round < rounds; round++) {
    const [pods, allocateWall] = await preparePods(node, size, round);
    await using stack = new AsyncDisposableStack();
    for (const pod of pods) stack.use(pod.netns);
    samples.allocateWall.push(allocateWall);
    const adds = await burst(node, "ADD", pods);
    samples.addWall.push(adds.wall);
    samples.addEach.push(...adds.each);
    distinct.push(await distinctTaps(pods));
    const deleted = await burst(node, "DEL", pods);
    dels.delWall.push(deleted.wall);
    dels.delEach.push(...deleted.each);
    for (const run of [...adds.runs, ...deleted.runs]) {
      if (run.code === 0) succeeded++;
      else failure ||= describeRun(run);
    }
  }
  if (failure) console.error(`concurrency bench: a call failed, e.g.\n  ${failure}`);
  const result = {
    burst: size,
    rounds,
    succeeded,
    calls: 2 * size * rounds,
    distinctTapsPerRound: distinct,
    allocateWall: summarize(samples.allocateWall),
    addWall: summarize(samples.addWall),
    addEach: summarize(samples.addEach),
    delWall: summarize(dels.delWall),
    delEach: summarize(dels.delEach),
    serialAdd: summarize(serial),
    addWallVsSerial: 0,
  };
  result.addWallVsSerial = Math.round((result.addWall.p50 / (size * result.serialAdd.p50)) * 100) / 100;
  return result;
}

/** The result as `[metric, value]` rows for the bench table. */
export function concurrencyRows(r: ConcurrencyResult): [string, string][] {
  return [
    [`succeeded (ADD + DEL, ${r.rounds} rounds of ${r.burst})`, `${r.succeeded}/${r.calls}`],
    ["distinct /dev/tapN in the pods, per round", r.distinctTapsPerRound.join(", ")],
    [`${r.burst} concurrent Allocates, wall`, describe(r.allocateWall)],
    [`${r.burst} concurrent ADDs, wall`, describe(r.addWall)],
    ["  each ADD inside the burst", describe(r.addEach)],
    ["  one ADD at a time (same run)", describe(r.serialAdd)],
    [`  wall p50 / (${r.burst} × serial p50)`, `${r.addWallVsSerial}`],
    [`${r.burst} concurrent DELs, wall`, describe(r.delWall)],
    ["  each DEL inside the burst", describe(r.delEach)],
  ];
}

if (import.meta.main) {
  const result = await benchConcurrency();
  for (const [metric, value] of concurrencyRows(result)) console.log(`${metric.padEnd(50)} ${value}`);
  const jsonAt = Deno.args.indexOf("--json");
  if (jsonAt >= 0) await Deno.writeTextFile(Deno.args[jsonAt + 1], JSON.stringify(result, null, 2) + "\n");
  // grpc-js keeps timers of the closed kubelet double alive for a while; the figures are written.
  Deno.exit(0);
}
