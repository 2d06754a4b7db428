/**
 * Test helpers: the host probe (cni-wasm/test/modules/host_probe.ts) compiled ahead of time with the
 * native host exactly as dist/cni/macvtap is (tools/native.ts), once in CNI mode and once in stream mode
 * (the link broker's), and a way to run it as a runtime would (testing/run_program.ts): a clean environment,
 * stdin, any cwd.
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
import { type RunOptions as ProgramOptions, runProgram } from "../../../testing/run_program.ts";

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

/** How to run: as {@link runProgram} (the whole environment, stdin, cwd), in CNI or stream mode. */
export interface RunOptions extends Pick<ProgramOptions, "env" | "stdin" | "cwd"> {
  /** Run the stream-mode probe (the link broker's mode). */
  stream?: boolean;
}

/** Runs the probe with `args` (argv[1] is the scenario), from `/` unless `options.cwd` says otherwise. */
export async function runProbe(args: string[], options: RunOptions = {}): Promise<ProbeRun> {
  await buildProbes();
  const program = options.stream ? STREAM_PROBE : PROBE;
  const { code, stdout, stderr } = await runProgram(program, args, { ...options, cwd: options.cwd ?? "/" });
  return { code, stdout, stderr, values: keyValues(stdout) };
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
