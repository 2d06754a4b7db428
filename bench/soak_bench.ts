/**
 * Soak: many pod starts and stops on one node through the whole stack — Allocate (kubelet double → the
 * sandboxed daemon → the real link broker → netlink), CNI ADD with Debian's host-local IPAM into a fresh
 * pod netns, CNI DEL, pod netns deleted — counting what is left behind and how the long-running processes'
 * memory moves:
 *
 * - leaked links: macvtaps on the node (a temp link never adopted or never collected: GC is off, so
 *   nothing hides a leak) and links left in each pod before its netns is deleted;
 * - leaked lease files in host-local's dataDir;
 * - /dev/tapN still present for any ifindex Allocate handed out;
 * - daemon and broker RSS (VmRSS) before the first cycle, every tenth of the run, and after the last;
 *   broker restarts (distinct broker pids seen).
 *
 * `deno run -A bench/soak_bench.ts [--json FILE]`, cycles from SOAK_CYCLES (default 1000). Needs root
 * and `deno task build`. faults/soak_smoke_test.ts runs the same code for 20 cycles.
 *
 * @module
 */
import { describeRun, type PluginRun } from "../testing/plugin_exec.ts";
import { DaemonNode } from "../daemon/testing/daemon_node.ts";
import { macvtapsIn, tapExists } from "../testing/leaks.ts";
import { rssMiB } from "../testing/processes.ts";
import { hostLocalIpam, leaseFiles } from "../testing/host_local.ts";
import { linkNames } from "../testing/pod_view.ts";
import { macvtapConfig } from "../testing/test_node.ts";
import { TestNetns } from "../testing/netns.ts";
import { describe, summarize, type Summary } from "./stats.ts";

/** Cycles when SOAK_CYCLES is not set. */
export const DEFAULT_SOAK_CYCLES = 1000;
const CAPACITY = 100;
const NETWORK = "soak";

/** RSS of one process over the run, MiB. */
export interface RssTrend {
  before: number;
  after: number;
  /** Every sample, first to last (before, each tenth of the run, after). */
  samples: number[];
}

/** What a soak run found. */
export interface SoakResult {
  cycles: number;
  /** Cycles whose Allocate, ADD or DEL failed, and the first few reasons. */
  failedCycles: number;
  failures: string[];
  wallSeconds: number;
  /** Per-step latency (ms). */
  allocate: Summary;
  add: Summary;
  del: Summary;
  leaks: { nodeMacvtaps: number; podLinks: number; leaseFiles: number; devTaps: number };
  daemonRssMiB: RssTrend;
  brokerRssMiB: RssTrend;
  /** Distinct broker pids seen: 1 unless the broker died and was restarted. */
  brokerPids: number;
}

/** Step latencies and failures of the cycles so far. */
class Tally {
  readonly allocate: number[] = [];
  readonly add: number[] = [];
  readonly del: number[] = [];
  readonly failures: string[] = [];
  failedCycles = 0;
  podLinks = 0;
  readonly ifindexes = new Set<number>();

  fail(cycle: number, what: string): void {
    this.failedCycles++;
    if (this.failures.length < 5) this.failures.push(`cycle ${cycle}: ${what}`);
  }
}

async function timed<T>(samples: number[], fn: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const result = await fn();
  samples.push(performance.now() - started);
  return result;
}

/** One pod start and stop; failures are tallied, not thrown, so one bad cycle does not end the soak. */
async function cycle(node: DaemonNode, i: number, tally: Tally): Promise<void> {
  let allocation;
  try {
    allocation = await timed(tally.allocate, () => node.allocate(`lower0Mvp${i % CAPACITY}`));
  } catch (error) {
    return tally.fail(i, `Allocate: ${(error as Error).message}`);
  }
  tally.ifindexes.add(allocation.ifindex);
  await using pod = await TestNetns.create("soak-pod");
  const attachment = { containerId: `soak${i}`, ifname: "net1", pod };
  const config = macvtapConfig("1.0.0", NETWORK, {
    deviceID: allocation.deviceId,
    ipam: hostLocalIpam(node.test.ipamDataDir, [{ subnet: "10.83.0.0/16" }]),
  });
  const add: PluginRun = await timed(tally.add, () => node.test.run("ADD", attachment, config));
  if (add.code !== 0) tally.fail(i, `ADD ${describeRun(add)}`);
  const prevResult = add.code === 0 ? add.json : undefined;
  const del = await timed(tally.del, () => node.test.run("DEL", attachment, { ...config, prevResult }));
  if (del.code !== 0) tally.fail(i, `DEL ${describeRun(del)}`);
  tally.podLinks += (await linkNames(pod)).length;
}

/** RSS sampler for the daemon and its broker. */
class RssSampler {
  readonly daemon: number[] = [];
  readonly broker: number[] = [];
  readonly brokerPids = new Set<number>();

  constructor(private node: DaemonNode) {}

  sample(): void {
    const broker = this.node.brokerPid();
    if (broker === null) throw new Error("soak: the daemon has no link broker");
    this.brokerPids.add(broker);
    this.daemon.push(round1(rssMiB(this.node.daemon.pid) ?? NaN));
    this.broker.push(round1(rssMiB(broker) ?? NaN));
  }
}

function trend(samples: number[]): RssTrend {
  return { before: samples[0]!, after: samples.at(-1)!, samples };
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}

/**
 * Runs `cycles` pod starts and stops on a fresh node and counts what is left.
 *
 * Requires root, `deno task build`, `--allow-all` in practice (netns, processes, /proc, temp files).
 */
export async function runSoak(cycles: number): Promise<SoakResult> {
  await using node = await DaemonNode.start("soak", { capacity: CAPACITY });
  await new Promise((resolve) => setTimeout(resolve, 2000)); // settle after start-up before "before"
  const rss = new RssSampler(node);
  rss.sample();
  const tally = new Tally();
  const every = Math.max(1, Math.round(cycles / 10));
  const started = performance.now();
  for (let i = 0; i < cycles; i++) {
    await cycle(node, i, tally);
    if ((i + 1) % every === 0 && i + 1 < cycles) rss.sample();
  }
  const wallSeconds = Math.round((performance.now() - started) / 100) / 10;
  rss.sample();
  return {
    cycles,
    failedCycles: tally.failedCycles,
    failures: tally.failures,
    wallSeconds,
    allocate: summarize(tally.allocate),
    add: summarize(tally.add),
    del: summarize(tally.del),
    leaks: {
      nodeMacvtaps: (await macvtapsIn(node.test.node)).length,
      podLinks: tally.podLinks,
      leaseFiles: leaseFiles(node.test.ipamDataDir, NETWORK).length,
      devTaps: [...tally.ifindexes].filter(tapExists).length,
    },
    daemonRssMiB: trend(rss.daemon),
    brokerRssMiB: trend(rss.broker),
    brokerPids: rss.brokerPids.size,
  };
}

/** The soak as `[metric, value]` rows for the bench table. */
export function soakRows(result: SoakResult): [string, string][] {
  const { leaks } = result;
  const rssRow = (t: RssTrend) =>
    `${t.before} → ${t.after} MiB (samples ${Math.min(...t.samples)}–${
      Math.max(...t.samples)
    }, n=${t.samples.length})`;
  return [
    [`cycles (Allocate → ADD host-local → DEL)`, `${result.cycles} in ${result.wallSeconds} s`],
    ["failed cycles", `${result.failedCycles}${result.failures.length ? `: ${result.failures[0]}` : ""}`],
    ["Allocate (kubelet double → daemon → broker)", describe(result.allocate)],
    ["ADD with host-local", describe(result.add)],
    ["DEL with host-local", describe(result.del)],
    [
      "leaked: node macvtaps / pod links / lease files / /dev/tapN",
      `${leaks.nodeMacvtaps} / ${leaks.podLinks} / ${leaks.leaseFiles} / ${leaks.devTaps}`,
    ],
    ["daemon RSS before → after", rssRow(result.daemonRssMiB)],
    ["broker RSS before → after", rssRow(result.brokerRssMiB)],
    ["broker processes over the run", String(result.brokerPids)],
  ];
}

if (import.meta.main) {
  const cycles = Number(Deno.env.get("SOAK_CYCLES") ?? DEFAULT_SOAK_CYCLES);
  if (!Number.isInteger(cycles) || cycles < 1) throw new Error(`Cannot use SOAK_CYCLES "${cycles}"`);
  const result = await runSoak(cycles);
  for (const [metric, value] of soakRows(result)) console.log(`${metric.padEnd(60)} ${value}`);
  const jsonAt = Deno.args.indexOf("--json");
  const jsonFile = jsonAt >= 0 ? Deno.args[jsonAt + 1] : undefined;
  if (jsonAt >= 0 && jsonFile === undefined) throw new Error("--json needs a file name");
  if (jsonFile !== undefined) await Deno.writeTextFile(jsonFile, JSON.stringify(result, null, 2) + "\n");
  // grpc-js keeps timers of the closed kubelet double alive for a while; the figures are written.
  Deno.exit(0);
}
