/**
 * The figures that judge the native host, each beside the yardstick measured in the same run, its
 * spread, its target and whether the target is met: the head of `deno task bench`'s output and of
 * bench/results/README.md.
 *
 * @module
 */
import type { CniBenchResult } from "./cni_bench.ts";
import type { ConcurrencyResult } from "./concurrency_bench.ts";
import { describe, describeRatio, round2, type Summary } from "./stats.ts";

const MIB = 1024 * 1024;

/** Bytes on disk of what the build installs, and of a reference CNI plugin. */
export interface Sizes {
  /** Every file under dist/cni (the CNI bin folder an installer copies). */
  cniBytes: number;
  linkBrokerBytes: number;
  /** dist/wasm/*: the modules compiled into the executables. */
  wasmBytes: Record<string, number>;
  /** Debian's macvlan CNI plugin (Go), when installed: a plugin of the same kind. */
  debianMacvlanBytes: number | null;
}

/** The link broker's memory (MiB) through the real daemon, from daemon/bench/daemon_bench.ts. */
export interface BrokerMemory {
  allocations: number;
  idleMiB: number;
  idleHwmMiB: number;
  afterMiB: number;
  afterHwmMiB: number;
}

/** One judged figure. */
export interface TargetRow {
  figure: string;
  value: string;
  yardstick: string;
  ratio: string;
  target: string;
  /** null: no target, reported for the record. */
  met: boolean | null;
}

/** Everything the rows are computed from; all measured in the same `deno task bench` run. */
export interface TargetInputs {
  cni: CniBenchResult;
  concurrency: ConcurrencyResult;
  broker: BrokerMemory;
  sizes: Sizes;
}

/** A KiB summary shown in MiB, with its worst case (targets on memory are judged on the max). */
function mib(summary: Summary): string {
  const m = (kib: number) => round2(kib / 1024);
  return `${m(summary.p50)} MiB (p10–p90 ${m(summary.p10)}–${m(summary.p90)}, max ${m(summary.max)}, ` +
    `n=${summary.n})`;
}

function bytes(count: number): string {
  return `${count} B (${round2(count / MIB)} MiB)`;
}

function cniRows({ cni }: TargetInputs): TargetRow[] {
  const rss = (side: { maxrssKiB: Summary }) => side.maxrssKiB;
  return [{
    figure: "CNI ADD (plugin exec'd from the node netns)",
    value: describe(cni.add.ms),
    yardstick: `floor ip ×3 + chown: ${describe(cni.floorAdd.ms)}`,
    ratio: describeRatio(cni.addRatio),
    target: "≤ 1.1× floor (p50)",
    met: cni.addRatio.ofMedians <= 1.1,
  }, {
    figure: "CNI DEL",
    value: describe(cni.del.ms),
    yardstick: `floor ip link del: ${describe(cni.floorDel.ms)}`,
    ratio: describeRatio(cni.delRatio),
    target: "≤ 1.2× floor (p50)",
    met: cni.delRatio.ofMedians <= 1.2,
  }, {
    figure: "VERSION cold start",
    value: describe(cni.version.ms),
    yardstick: `/bin/true ${describe(cni.binTrue.ms)}; ip -V ${describe(cni.ipVersion.ms)}`,
    ratio: `${describeRatio(cni.versionRatio)} of /bin/true (${cni.versionOverTrue.p50} ms more, p10–p90 ` +
      `${cni.versionOverTrue.p10}–${cni.versionOverTrue.p90})`,
    target: "≤ 5 ms (p50)",
    met: cni.version.ms.p50 <= 5,
  }, {
    figure: "peak RSS of one ADD (wait4 ru_maxrss)",
    value: mib(rss(cni.add)),
    yardstick: `floor's largest ip: ${mib(rss(cni.floorAdd))}`,
    ratio: `${round2(rss(cni.add).p50 / rss(cni.floorAdd).p50)}×`,
    target: "≤ 8 MiB (max)",
    met: rss(cni.add).max <= 8 * 1024,
  }, {
    figure: "peak RSS of one VERSION",
    value: mib(rss(cni.version)),
    yardstick: `/bin/true: ${mib(rss(cni.binTrue))}`,
    ratio: `${round2(rss(cni.version).p50 / rss(cni.binTrue).p50)}×`,
    target: "≤ 8 MiB (max)",
    met: rss(cni.version).max <= 8 * 1024,
  }];
}

function concurrencyRows({ concurrency: c }: TargetInputs): TargetRow[] {
  return [{
    figure: `${c.burst} concurrent ADDs, wall`,
    value: describe(c.addWall),
    yardstick: `${c.burst} × floor ADD p50 (${c.floorAdd.ms.p50} ms, p10–p90 ${c.floorAdd.ms.p10}–` +
      `${c.floorAdd.ms.p90}, n=${c.floorAdd.ms.n})`,
    ratio: describeRatio(c.addWallVsFloor),
    target: "≤ 0.8×",
    met: c.addWallVsFloor.ofMedians <= 0.8,
  }, {
    figure: `${c.burst} concurrent DELs, wall`,
    value: describe(c.delWall),
    yardstick: `${c.burst} × floor DEL p50 (${c.floorDel.ms.p50} ms, p10–p90 ${c.floorDel.ms.p10}–` +
      `${c.floorDel.ms.p90}, n=${c.floorDel.ms.n})`,
    ratio: describeRatio(c.delWallVsFloor),
    target: "—",
    met: null,
  }];
}

function footprintRows({ sizes, broker }: TargetInputs): TargetRow[] {
  const macvlan = sizes.debianMacvlanBytes;
  return [{
    figure: "installed size: dist/cni",
    value: bytes(sizes.cniBytes),
    yardstick: macvlan === null ? "—" : `Debian's macvlan plugin: ${bytes(macvlan)}`,
    ratio: macvlan === null ? "—" : `${round2(sizes.cniBytes / macvlan)}×`,
    target: "≤ 2 MiB",
    met: sizes.cniBytes <= 2 * MIB,
  }, {
    figure: "installed size: dist/link-broker",
    value: bytes(sizes.linkBrokerBytes),
    yardstick: "—",
    ratio: "—",
    target: "—",
    met: null,
  }, {
    figure: `link broker RSS after ${broker.allocations} Allocates (real daemon)`,
    value: `VmRSS ${broker.afterMiB} MiB, VmHWM ${broker.afterHwmMiB} MiB`,
    yardstick: `its own at idle: VmRSS ${broker.idleMiB} MiB, VmHWM ${broker.idleHwmMiB} MiB`,
    ratio: `${round2(broker.afterHwmMiB / broker.idleHwmMiB)}× (peak)`,
    target: "≤ 10 MiB (VmHWM)",
    met: broker.afterHwmMiB <= 10,
  }];
}

/** Every judged figure: the CNI plugin's, then under concurrency, then the footprint. */
export function targetRows(inputs: TargetInputs): TargetRow[] {
  return [...cniRows(inputs), ...concurrencyRows(inputs), ...footprintRows(inputs)];
}

/** "met", "MISSED" or "—" (no target). */
export function verdict(row: TargetRow): string {
  return row.met === null ? "—" : row.met ? "met" : "MISSED";
}

/** The rows as a Markdown table. */
export function markdownTable(rows: TargetRow[]): string {
  const cells = (r: string[]) => `| ${r.join(" | ")} |`;
  return [
    cells(["figure", "value", "yardstick (same run)", "ratio", "target", "met"]),
    cells(["---", "---", "---", "---", "---", "---"]),
    ...rows.map((r) => cells([r.figure, r.value, r.yardstick, r.ratio, r.target, verdict(r)])),
  ].join("\n");
}
