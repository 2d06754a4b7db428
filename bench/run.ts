/**
 * `deno task bench`: every figure the project reports, measured in one run on this machine, printed as a
 * table and written to bench/results/latest.json (and the judged figures to bench/results/latest.md)
 * with the machine, Deno version, date and the load at the start of every section. Figures are
 * percentiles with their spread, and ratios against a yardstick measured in the same run — never a lone
 * number meant as a target. Needs root (throwaway netns), gcc (bench/exec_timer.c) and a build
 * (`deno task bench` prepares it).
 *
 * Sections: CNI ADD/DEL vs the iproute2 floor, cold start vs /bin/true and `ip -V`, peak RSS per call
 * (bench/cni_bench.ts); the daemon's Allocate, health propagation, re-registration, daemon and link
 * broker RSS (daemon/bench/daemon_bench.ts); codec costs (cni-wasm/test/netlink/codec_bench.ts);
 * 100k-input fuzzing of the netlink decoders and the CNI front door, and `deno task fuzz` when the
 * project has one; 50 concurrent ADDs/DELs (bench/concurrency_bench.ts); the Allocate → ADD → DEL soak,
 * SOAK_CYCLES cycles (bench/soak_bench.ts); installed sizes. Then the targets (bench/targets.ts).
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { benchCni, type CniBenchResult } from "./cni_bench.ts";
import { type ConcurrencyResult, concurrencyRows } from "./concurrency_bench.ts";
import { DEFAULT_SOAK_CYCLES, type SoakResult, soakRows } from "./soak_bench.ts";
import { describe, describeRatio, type Summary } from "./stats.ts";
import {
  type BrokerMemory,
  markdownTable,
  type Sizes,
  type TargetRow,
  targetRows,
  verdict,
} from "./targets.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const FUZZ_ITERATIONS = 100_000;

interface Row {
  section: string;
  metric: string;
  value: string;
}

/**
 * Load average when each section started (the machine is shared: the figures should say how busy it
 * was) and the hashes of the executables it measured (others may rebuild dist/ meanwhile).
 */
const sections: Record<string, { loadavg: number[]; artifacts: Record<string, string> }> = {};

async function startSection(name: string): Promise<void> {
  sections[name] = { loadavg: Deno.loadavg(), artifacts: await artifactHashes() };
  console.error(`bench: ${name} (load ${sections[name].loadavg.map((x) => x.toFixed(2)).join(" ")})`);
}

async function run(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ ok: boolean; stdout: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    env,
    cwd: ROOT,
    stdout: "piped",
    stderr: "inherit",
  })
    .output();
  return { ok: out.success, stdout: new TextDecoder().decode(out.stdout) };
}

function cniRows(cni: CniBenchResult): Row[] {
  const row = (metric: string, value: string) => ({ section: "CNI", metric, value });
  const kib = (s: Summary) => describe(s, "KiB");
  return [
    row("ADD (plugin exec'd from the node netns)", describe(cni.add.ms)),
    row("ADD floor (ip ×3 + chown)", describe(cni.floorAdd.ms)),
    row("ADD / floor", describeRatio(cni.addRatio)),
    row("DEL (plugin)", describe(cni.del.ms)),
    row("DEL floor (ip link del)", describe(cni.floorDel.ms)),
    row("DEL / floor", describeRatio(cni.delRatio)),
    row(
      "CPU time (user+sys): ADD / floor ADD",
      `${describe(cni.add.cpuMs)} / ${describe(cni.floorAdd.cpuMs)}`,
    ),
    row(
      "CPU time (user+sys): DEL / floor DEL",
      `${describe(cni.del.cpuMs)} / ${describe(cni.floorDel.cpuMs)}`,
    ),
    row("cold start: VERSION (exec + host + module)", describe(cni.version.ms)),
    row("cold start: /bin/true", describe(cni.binTrue.ms)),
    row("cold start: ip -V", describe(cni.ipVersion.ms)),
    row("VERSION / /bin/true", describeRatio(cni.versionRatio)),
    row("VERSION − /bin/true next to it", describe(cni.versionOverTrue)),
    row("CPU time: VERSION / /bin/true", `${describe(cni.version.cpuMs)} / ${describe(cni.binTrue.cpuMs)}`),
    row(
      "floor ADD by step, p50",
      Object.entries(cni.floorAddSteps).map(([step, ms]) => `${step} ${ms} ms`).join(", "),
    ),
    row("peak RSS: ADD / floor's largest ip", `${kib(cni.add.maxrssKiB)} / ${kib(cni.floorAdd.maxrssKiB)}`),
    row("peak RSS: DEL / ip link del", `${kib(cni.del.maxrssKiB)} / ${kib(cni.floorDel.maxrssKiB)}`),
    row("peak RSS: VERSION / /bin/true", `${kib(cni.version.maxrssKiB)} / ${kib(cni.binTrue.maxrssKiB)}`),
  ];
}

interface DaemonRow {
  metric: string;
  via: string;
  value: string;
  raw: Record<string, number>;
}

async function daemonSection(): Promise<{ rows: Row[]; raw: { rows: DaemonRow[] }; broker: BrokerMemory }> {
  const raw = await jsonBench<{ rows: DaemonRow[] }>("daemon/bench/daemon_bench.ts");
  const rows = raw.rows.map((r) => ({ section: "daemon", metric: `${r.metric} [${r.via}]`, value: r.value }));
  const brokerRow = raw.rows.find((r) => r.metric === "link broker RSS (MiB)");
  if (!brokerRow) throw new Error("the daemon bench measured no link broker RSS (not root?)");
  return { rows, raw, broker: { allocations: 1000, ...brokerRow.raw } as BrokerMemory };
}

/** Runs a bench script that writes its result with `--json FILE` (its own process: grpc-js lingers). */
async function jsonBench<T>(script: string, env: Record<string, string> = {}): Promise<T> {
  const file = await Deno.makeTempFile({ suffix: ".json" });
  try {
    const result = await run(["run", "-A", script, "--json", file], env);
    if (!result.ok) throw new Error(`${script} failed`);
    return JSON.parse(await Deno.readTextFile(file)) as T;
  } finally {
    await Deno.remove(file);
  }
}

async function concurrencySection(): Promise<{ rows: Row[]; raw: ConcurrencyResult }> {
  const raw = await jsonBench<ConcurrencyResult>("bench/concurrency_bench.ts");
  const rows = concurrencyRows(raw).map(([metric, value]) => ({ section: "concurrency", metric, value }));
  return { rows, raw };
}

async function soakSection(): Promise<{ rows: Row[]; raw: SoakResult }> {
  const cycles = Deno.env.get("SOAK_CYCLES") ?? String(DEFAULT_SOAK_CYCLES);
  const raw = await jsonBench<SoakResult>("bench/soak_bench.ts", { SOAK_CYCLES: cycles });
  return { rows: soakRows(raw).map(([metric, value]) => ({ section: "soak", metric, value })), raw };
}

async function codecSection(): Promise<{ rows: Row[]; raw: unknown }> {
  const result = await run(["bench", "-A", "--json", "cni-wasm/test/netlink/codec_bench.ts"]);
  if (!result.ok) throw new Error("codec bench failed");
  // Deno names each bench's file by absolute URL; the results keep paths relative to the repository.
  const raw = JSON.parse(result.stdout.replaceAll(`file://${ROOT}`, ""));
  const rows =
    (raw.benches as { name: string; results: { ok: { avg: number; p75: number; p99: number } }[] }[])
      .map((b) => {
        const ok = b.results[0]!.ok;
        const us = (ns: number) => (ns / 1000).toFixed(1);
        return {
          section: "codec",
          metric: b.name,
          value: `avg ${us(ok.avg)} µs, p75 ${us(ok.p75)}, p99 ${us(ok.p99)}`,
        };
      });
  return { rows, raw };
}

/** The project's `deno task fuzz` (the native fuzzers), when deno.json has one. */
function hasFuzzTask(): boolean {
  const config = JSON.parse(Deno.readTextFileSync(`${ROOT}deno.json`));
  return typeof config.tasks?.fuzz === "string";
}

async function fuzzSection(): Promise<Row[]> {
  const rows: Row[] = [];
  const suites: [string, string[]][] = [
    ["netlink decoders (8 decoders, per decoder)", [
      "test",
      "-A",
      "--quiet",
      "cni-wasm/test/netlink/decoders_fuzz_test.ts",
    ]],
    ["CNI front door (env, CNI_ARGS, config)", [
      "test",
      "-A",
      "--quiet",
      "cni-wasm/test/cni/dispatch_fuzz_test.ts",
    ]],
  ];
  if (hasFuzzTask()) suites.push(["deno task fuzz (native)", ["task", "fuzz"]]);
  for (const [what, args] of suites) {
    const started = performance.now();
    const result = await run(args, { FUZZ_ITERATIONS: String(FUZZ_ITERATIONS) });
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    rows.push({
      section: "fuzz",
      metric: `${what}: FUZZ_ITERATIONS=${FUZZ_ITERATIONS}`,
      value: result.ok ? `no failure, ${seconds} s` : `FAILED (see output), ${seconds} s`,
    });
  }
  return rows;
}

/** True when a row says its check failed: the run still writes its figures, then exits 1. */
function failed(row: Row): boolean {
  return row.value.startsWith("FAILED");
}

function bytesUnder(dir: string): number {
  let total = 0;
  for (const entry of Deno.readDirSync(dir)) {
    const path = `${dir}/${entry.name}`;
    total += entry.isDirectory ? bytesUnder(path) : Deno.statSync(path).size;
  }
  return total;
}

function sizes(): Sizes {
  const wasmBytes: Record<string, number> = {};
  for (const entry of Deno.readDirSync(`${ROOT}dist/wasm`)) {
    wasmBytes[`dist/wasm/${entry.name}`] = Deno.statSync(`${ROOT}dist/wasm/${entry.name}`).size;
  }
  let debianMacvlanBytes: number | null = null;
  try {
    debianMacvlanBytes = Deno.statSync("/usr/lib/cni/macvlan").size;
  } catch {
    // containernetworking-plugins not installed: no reference size
  }
  return {
    cniBytes: bytesUnder(`${ROOT}dist/cni`),
    linkBrokerBytes: Deno.statSync(`${ROOT}dist/link-broker`).size,
    wasmBytes,
    debianMacvlanBytes,
  };
}

function sizeRows(s: Sizes): Row[] {
  const row = (metric: string, bytes: number) => ({
    section: "size",
    metric,
    value: `${bytes} B (${(bytes / 1024).toFixed(1)} KiB)`,
  });
  return [
    row("dist/cni (all files)", s.cniBytes),
    row("dist/link-broker", s.linkBrokerBytes),
    ...Object.entries(s.wasmBytes).map(([file, bytes]) => row(file, bytes)),
    ...(s.debianMacvlanBytes === null
      ? []
      : [row("/usr/lib/cni/macvlan (Debian, reference)", s.debianMacvlanBytes)]),
  ];
}

/** SHA-256 (first 16 hex digits) of each executable measured: a rebuild during the run would show. */
async function artifactHashes(): Promise<Record<string, string>> {
  const hashes: Record<string, string> = {};
  for (const file of ["dist/cni/macvtap", "dist/link-broker"]) {
    const digest = await crypto.subtle.digest("SHA-256", await Deno.readFile(`${ROOT}${file}`));
    hashes[file] = Array.from(new Uint8Array(digest).slice(0, 8), (b) => b.toString(16).padStart(2, "0"))
      .join("");
  }
  return hashes;
}

/** The commit measured, and the files under the build's sources that differ from it (a shared tree). */
async function sourceState(): Promise<{ commit: string; uncommittedBuildSources: string[] }> {
  const git = async (...args: string[]) => {
    const out = await new Deno.Command("git", { args, cwd: ROOT, stdout: "piped", stderr: "null" }).output();
    return new TextDecoder().decode(out.stdout).trimEnd(); // porcelain lines start with a space
  };
  const status = await git("status", "--porcelain", "--", "cni-wasm", "tools");
  return {
    commit: await git("rev-parse", "HEAD"),
    uncommittedBuildSources: status === "" ? [] : status.split("\n").map((line) => line.slice(3)),
  };
}

function machine(): Record<string, unknown> {
  return {
    date: new Date().toISOString(),
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    os: Deno.osRelease(),
    arch: Deno.build.arch,
    cpus: navigator.hardwareConcurrency,
    memoryGiB: Math.round(Deno.systemMemoryInfo().total / 2 ** 30),
    loadavgAtStart: Deno.loadavg(),
  };
}

function printTable(rows: Row[]): void {
  const width = Math.max(...rows.map((r) => r.metric.length));
  let section = "";
  for (const row of rows) {
    if (row.section !== section) {
      section = row.section;
      console.log(`\n${section}`);
    }
    console.log(`  ${row.metric.padEnd(width)}  ${row.value}`);
  }
}

function printTargets(rows: TargetRow[]): void {
  console.log("\nTARGETS (each against a yardstick measured in this run)");
  for (const row of rows) {
    console.log(`  [${verdict(row).padEnd(6)}] ${row.figure}: ${row.value}`);
    console.log(`           yardstick ${row.yardstick}`);
    console.log(`           ratio ${row.ratio}; target ${row.target}`);
  }
}

/** Every section, one after another, each noting the load it started under. */
async function measureAll(size: Sizes) {
  await startSection("cni");
  const cni = await benchCni();
  await startSection("daemon");
  const daemon = await daemonSection();
  await startSection("codec");
  const codec = await codecSection();
  await startSection("concurrency");
  const concurrency = await concurrencySection();
  await startSection("soak");
  const soak = await soakSection();
  await startSection("fuzz"); // last: `deno task fuzz` may rebuild dist/
  const fuzz = await fuzzSection();
  const targets = targetRows({ cni, concurrency: concurrency.raw, broker: daemon.broker, sizes: size });
  const rows = [
    ...cniRows(cni),
    ...daemon.rows,
    ...codec.rows,
    ...fuzz,
    ...concurrency.rows,
    ...soak.rows,
    ...sizeRows(size),
  ];
  const raw = { cni, daemon: daemon.raw, codec: codec.raw, concurrency: concurrency.raw, soak: soak.raw };
  return { targets, rows, raw: { ...raw, sizes: size } };
}

/** latest.json: everything; latest.md: the judged figures as a Markdown table. */
async function writeResults(meta: Record<string, unknown>, measured: Awaited<ReturnType<typeof measureAll>>) {
  const end = Deno.loadavg();
  const results = {
    machine: { ...meta, sections, loadavgAtEnd: end },
    targets: measured.targets,
    rows: measured.rows,
    ...measured.raw,
  };
  await Deno.mkdir(`${ROOT}bench/results`, { recursive: true });
  await Deno.writeTextFile(`${ROOT}bench/results/latest.json`, JSON.stringify(results, null, 2) + "\n");
  const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(" ");
  const start = meta.loadavgAtStart as number[];
  const markdown = [
    `Run of ${meta.date}: ${meta.cpus} CPUs, Deno ${meta.deno}, load average (1/5/15 min) at start ` +
    `${load(start)}, at end ${load(end)}.`,
    "",
    markdownTable(measured.targets),
    "",
  ].join("\n");
  await Deno.writeTextFile(`${ROOT}bench/results/latest.md`, markdown);
}

if (import.meta.main) {
  if (Deno.uid() !== 0) throw new Error("deno task bench needs root: it creates network namespaces");
  const meta: Record<string, unknown> = {
    ...machine(),
    source: await sourceState(),
    artifactsAtStart: await artifactHashes(),
  };
  const measured = await measureAll(sizes()); // sizes of the build the hashes name
  meta.artifactsAtEnd = await artifactHashes();
  const first = JSON.stringify(meta.artifactsAtStart);
  const changed = Object.keys(sections).filter((name) => JSON.stringify(sections[name]?.artifacts) !== first);
  if (changed.length > 0) {
    console.error(`bench: WARNING dist/ was rebuilt before section(s) ${changed.join(", ")}`);
  }
  printTable(measured.rows);
  printTargets(measured.targets);
  await writeResults(meta, measured);
  console.log(`\nwrote bench/results/latest.json and bench/results/latest.md`);
  const failures = measured.rows.filter(failed);
  if (failures.length > 0) {
    console.error(`bench: ${failures.map((r) => r.metric).join("; ")} FAILED`);
    Deno.exit(1);
  }
}
