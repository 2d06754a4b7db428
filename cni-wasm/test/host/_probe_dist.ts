/**
 * Test helpers: a CNI bin folder built exactly like dist/cni (same launcher,
 * same bundled host, same deno) but holding the host probe module
 * (cni-wasm/test/harness/host_probe.ts), and ways to run it as a runtime would.
 *
 * The folder lives in cni-wasm/build/test/probe-dist (a build artifact) and is
 * rebuilt once per test process.
 *
 * Requires --allow-read/--allow-write on the repository, --allow-env and --allow-run.
 *
 * @module
 */
import { CNI_WASM_DIR } from "../../../tools/asc.ts";
import { buildProbeModule, writeCniDist } from "../../../tools/build.ts";
import { libcPathFor } from "../../host/libc.ts";
import { CNI_ENV_NAMES } from "../../host/main.ts";

/** Folder of the probe's CNI bin dir. */
export const PROBE_DIST_DIR = `${CNI_WASM_DIR}/build/test/probe-dist`;

/** libc of this machine, as the launcher picks it. */
export const LIBC_PATH: string = libcPathFor(Deno.build.arch) ?? "/lib/x86_64-linux-gnu/libc.so.6";

let built: Promise<string> | null = null;

/** Builds the probe dist once per process. @returns its folder */
export function probeDist(): Promise<string> {
  built ??= (async () => {
    const wasm = await buildProbeModule();
    await writeCniDist(PROBE_DIST_DIR, wasm);
    return PROBE_DIST_DIR;
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
}

/** Deno's cache for launcher runs in tests (the launcher's default is /var/cache/macvtap-cni). */
export const TEST_DENO_DIR = `${CNI_WASM_DIR}/build/test/deno-dir`;

/** Runs `<probe dist>/macvtap <args>` with a clean environment (plus MACVTAP_DENO_DIR, see above). */
export async function runLauncher(args: string[], options: RunOptions = {}): Promise<ProbeRun> {
  const dir = await probeDist();
  const env = { MACVTAP_DENO_DIR: TEST_DENO_DIR, ...options.env };
  return await run(`${dir}/macvtap`, args, { ...options, env });
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
  await writer.write(new TextEncoder().encode(options.stdin ?? ""));
  await writer.close();
  const out = await child.output();
  const stdout = new TextDecoder().decode(out.stdout);
  return {
    code: out.code,
    stdout,
    stderr: new TextDecoder().decode(out.stderr),
    values: new Map(
      stdout.split("\n").filter((line) => line.includes("=")).map((line) => {
        const at = line.indexOf("=");
        return [line.slice(0, at), line.slice(at + 1)] as [string, string];
      }),
    ),
  };
}

/** The --allow-env the launcher grants. */
export const ALLOW_ENV = `--allow-env=${[...CNI_ENV_NAMES, "PATH"].join(",")}`;

/**
 * Runs the probe directly through the host (no launcher) with explicit Deno flags and host arguments.
 * The launcher's --allow-env is added unless `denoFlags` has its own.
 */
export async function runHostDirect(
  denoFlags: string[],
  hostArgs: string[],
  options: RunOptions = {},
): Promise<ProbeRun> {
  const dir = await probeDist();
  const env = denoFlags.some((flag) => flag.startsWith("--allow-env")) ? [] : [ALLOW_ENV];
  return await run(
    `${dir}/deno`,
    [
      "run",
      "--quiet",
      "--no-config",
      "--no-prompt",
      ...env,
      ...denoFlags,
      `${dir}/macvtap-host.js`,
      ...hostArgs,
    ],
    options,
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
