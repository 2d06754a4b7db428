/**
 * `deno task bench`: every figure the project reports, measured in one run on this machine, printed as a
 * table and written to bench/results/latest.json with the machine, Deno version, date and load. Figures are
 * percentiles with their spread, and ratios against a floor measured in the same run — never a lone number
 * meant as a target. Needs root (throwaway netns) and a build (`deno task bench` prepares it).
 *
 * Sections: CNI ADD/DEL vs the iproute2 floor and cold start (bench/cni_bench.ts); the daemon's Allocate,
 * health propagation, re-registration and RSS (daemon/bench/daemon_bench.ts); codec costs
 * (cni-wasm/test/netlink/codec_bench.ts); 100k-input fuzzing of the netlink decoders and the CNI front door;
 * 50 concurrent ADDs/DELs (bench/concurrency_bench.ts); the Allocate → ADD → DEL soak, SOAK_CYCLES cycles
 * (bench/soak_bench.ts); artifact sizes.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { benchCni, type CniBenchResult } from "./cni_bench.ts";
import { type ConcurrencyResult, concurrencyRows } from "./concurrency_bench.ts";
import { DEFAULT_SOAK_CYCLES, type SoakResult, soakRows } from "./soak_bench.ts";
import { describe } from "./stats.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const FUZZ_ITERATIONS = 100_000;

interface Row {
  section: string;
  metric: string;
  value: string;
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
  return [
    row("ADD (plugin, via nsenter)", describe(cni.add)),
    row("ADD floor (ip ×3 + chown)", describe(cni.floorAdd)),
    row("ADD ratio p50/p50", `${cni.addRatio}×`),
    row("DEL (plugin, via nsenter)", describe(cni.del)),
    row("DEL floor (ip link del)", describe(cni.floorDel)),
    row("DEL ratio p50/p50", `${cni.delRatio}×`),
    row("cold start (VERSION: launcher + deno + host + wasm)", describe(cni.coldStartVersion)),
  ];
}

async function daemonSection(): Promise<{ rows: Row[]; raw: unknown }> {
  const file = await Deno.makeTempFile({ suffix: ".json" });
  try {
    const result = await run(["run", "-A", "daemon/bench/daemon_bench.ts", "--json", file]);
    if (!result.ok) throw new Error("daemon bench failed");
    const raw = JSON.parse(await Deno.readTextFile(file));
    const rows = (raw.rows as { metric: string; via: string; value: string }[]).map((r) => ({
      section: "daemon",
      metric: `${r.metric} [${r.via}]`,
      value: r.value,
    }));
    return { rows, raw };
  } finally {
    await Deno.remove(file);
  }
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
  const raw = JSON.parse(result.stdout);
  const rows =
    (raw.benches as { name: string; results: { ok: { avg: number; p75: number; p99: number } }[] }[])
      .map((b) => {
        const ok = b.results[0].ok;
        const us = (ns: number) => (ns / 1000).toFixed(1);
        return {
          section: "codec",
          metric: b.name,
          value: `avg ${us(ok.avg)} µs, p75 ${us(ok.p75)}, p99 ${us(ok.p99)}`,
        };
      });
  return { rows, raw };
}

async function fuzzSection(): Promise<Row[]> {
  const rows: Row[] = [];
  const suites = [
    ["netlink decoders (8 decoders, per decoder)", "cni-wasm/test/netlink/decoders_fuzz_test.ts"],
    ["CNI front door (env, CNI_ARGS, config)", "cni-wasm/test/cni/dispatch_fuzz_test.ts"],
  ];
  for (const [what, file] of suites) {
    const started = performance.now();
    const result = await run(["test", "-A", "--quiet", file], { FUZZ_ITERATIONS: String(FUZZ_ITERATIONS) });
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    rows.push({
      section: "fuzz",
      metric: `${what}: ${FUZZ_ITERATIONS} inputs`,
      value: result.ok ? `no trap, ${seconds} s` : `FAILED (see output), ${seconds} s`,
    });
    if (!result.ok) throw new Error(`fuzzing ${file} found a failure`);
  }
  return rows;
}

function sizeRows(): Row[] {
  const files = ["dist/cni/macvtap.wasm", "dist/cni/macvtap-host.js", "dist/broker/broker.wasm"];
  return files.map((file) => ({
    section: "size",
    metric: file,
    value: `${(Deno.statSync(`${ROOT}${file}`).size / 1024).toFixed(1)} KiB`,
  }));
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
  const width = Math.max(...rows.map((r) => r.section.length + r.metric.length + 3));
  let section = "";
  for (const row of rows) {
    if (row.section !== section) {
      section = row.section;
      console.log(`\n${section}`);
    }
    console.log(`  ${row.metric.padEnd(width)}  ${row.value}`);
  }
}

if (import.meta.main) {
  if (Deno.uid() !== 0) throw new Error("deno task bench needs root: it creates network namespaces");
  const meta = machine();
  const cni = await benchCni(30);
  const daemon = await daemonSection();
  const codec = await codecSection();
  const fuzz = await fuzzSection();
  const concurrency = await concurrencySection();
  const soak = await soakSection();
  const rows = [
    ...cniRows(cni),
    ...daemon.rows,
    ...codec.rows,
    ...fuzz,
    ...concurrency.rows,
    ...soak.rows,
    ...sizeRows(),
  ];
  printTable(rows);
  const results = {
    machine: { ...meta, loadavgAtEnd: Deno.loadavg() },
    rows,
    cni,
    daemon: daemon.raw,
    codec: codec.raw,
    concurrency: concurrency.raw,
    soak: soak.raw,
  };
  await Deno.mkdir(`${ROOT}bench/results`, { recursive: true });
  await Deno.writeTextFile(`${ROOT}bench/results/latest.json`, JSON.stringify(results, null, 2) + "\n");
  console.log(`\nwrote bench/results/latest.json`);
}
