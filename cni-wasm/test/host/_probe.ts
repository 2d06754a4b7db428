/**
 * Test helpers: the host probe (cni-wasm/test/modules/host_probe.ts) compiled ahead of time with the
 * native host exactly as dist/cni/macvtap is (tools/native.ts), once in CNI mode and once in stream mode
 * (the link broker's), and ways to run it as a runtime would: a clean environment, stdin, any cwd.
 *
 * The executables live in cni-wasm/build/test/ (build output) and are rebuilt once per test process
 * when their inputs changed.
 *
 * Requires --allow-read/--allow-write on the repository, --allow-env and --allow-run (asc, wasm2c, cc).
 *
 * @module
 */
import { CNI_WASM_DIR, compileAssembly } from "../../../tools/asc.ts";
import { compileNative } from "../../../tools/native.ts";

/** The probe module: a WASI command like the plugin (asconfig.json, release target). */
export const PROBE_MODULE = { entry: "test/modules/host_probe.ts", outFile: "build/test/host_probe.wasm" };

/** The CNI-mode probe executable. */
export const PROBE = `${CNI_WASM_DIR}/build/test/probe`;

/** The stream-mode probe executable. */
export const STREAM_PROBE = `${CNI_WASM_DIR}/build/test/probe-stream`;

let built: Promise<void> | null = null;

/** Builds both probes once per process. */
export function buildProbes(): Promise<void> {
  built ??= (async () => {
    await compileAssembly(PROBE_MODULE);
    const wasm = `${CNI_WASM_DIR}/${PROBE_MODULE.outFile}`;
    await compileNative({ name: "probe", wasm, out: PROBE });
    await compileNative({ name: "probe-stream", wasm, out: STREAM_PROBE, stream: true });
  })();
  return built;
}

/** What a run printed and returned. */
export interface ProbeRun {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout `key=value` lines as a map (the last value wins). */
  values: Map<string, string>;
}

/** How to run. */
export interface RunOptions {
  /** The whole environment (the process starts with exactly this, like `env -i`). */
  env?: Record<string, string>;
  stdin?: string;
  cwd?: string;
  /** Run the stream-mode probe (the link broker's mode). */
  stream?: boolean;
}

/** Runs the probe with `args` (argv[1] is the scenario). */
export async function runProbe(args: string[], options: RunOptions = {}): Promise<ProbeRun> {
  await buildProbes();
  return await run(options.stream ? STREAM_PROBE : PROBE, args, options);
}

/** Runs a program with exactly `options.env`, feeding `options.stdin`. */
export async function run(program: string, args: string[], options: RunOptions = {}): Promise<ProbeRun> {
  const child = new Deno.Command(program, {
    args,
    cwd: options.cwd ?? "/",
    clearEnv: true,
    env: options.env ?? {},
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  // A program that exits without reading its stdin closes the pipe: that is not the test's failure.
  await writer.write(new TextEncoder().encode(options.stdin ?? "")).catch(() => {});
  await writer.close().catch(() => {});
  const out = await child.output();
  const stdout = new TextDecoder().decode(out.stdout);
  return { code: out.code, stdout, stderr: new TextDecoder().decode(out.stderr), values: keyValues(stdout) };
}

function keyValues(stdout: string): Map<string, string> {
  return new Map(
    stdout.split("\n").filter((line) => line.includes("=")).map((line) => {
      const at = line.indexOf("=");
      return [line.slice(0, at), line.slice(at + 1)] as [string, string];
    }),
  );
}

/** The CNI error object a run printed, or throws with the run's output. */
export function errorObject(
  run: ProbeRun,
): { cniVersion: string; code: number; msg: string; details: string } {
  try {
    return JSON.parse(run.stdout);
  } catch {
    throw new Error(
      `Cannot parse CNI error from stdout ${JSON.stringify(run.stdout)} (stderr ${run.stderr})`,
    );
  }
}
