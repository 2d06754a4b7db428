/**
 * Entry point of the capability host (wiring only):
 *
 *   main.ts <module.wasm> <libc path> [--mode=cni|stream] [--ipam-timeout-ms=N]
 *           [--timeout-program=PATH] [-- module args...]
 *
 * In cni mode the module's environment is the CNI_* variables and IPAM plugins also
 * get PATH; in stream mode (the link broker) the environment is empty.
 * The process exit code is the module's proc_exit code (1 after a trap).
 *
 * Requires `--allow-read=<module folder>`, `--allow-env=<CNI_* names>,PATH`,
 * `--allow-ffi=<libc path>`, `--allow-run=<timeout path>` (see tools/launcher.sh).
 *
 * @module
 */
import { internalErrorJson } from "./cni_error.ts";
import { DEFAULT_IPAM_TIMEOUT_MS } from "./ipam_exec.ts";
import { runModule } from "./run_module.ts";
import type { WasiMode } from "./wasi.ts";

/** The CNI variables the module sees (and the launcher grants with --allow-env). */
export const CNI_ENV_NAMES = [
  "CNI_COMMAND",
  "CNI_CONTAINERID",
  "CNI_NETNS",
  "CNI_IFNAME",
  "CNI_ARGS",
  "CNI_PATH",
];

/** Parsed command line. */
export interface HostArgs {
  wasmPath: string;
  libcPath: string;
  mode: WasiMode;
  ipamTimeoutMs: number;
  timeoutProgram: string;
  moduleArgs: string[];
}

/** Parses the command line; throws with a usage message on anything unexpected. */
export function parseHostArgs(argv: string[]): HostArgs {
  const dashes = argv.indexOf("--");
  const own = dashes < 0 ? argv : argv.slice(0, dashes);
  const parsed: HostArgs = {
    wasmPath: "",
    libcPath: "",
    mode: "cni",
    ipamTimeoutMs: DEFAULT_IPAM_TIMEOUT_MS,
    timeoutProgram: "/usr/bin/timeout",
    moduleArgs: dashes < 0 ? [] : argv.slice(dashes + 1),
  };
  const positional: string[] = [];
  for (const arg of own) {
    const [flag, value = ""] = arg.split(/=(.*)/s, 2);
    if (flag === "--mode" && (value === "cni" || value === "stream")) parsed.mode = value;
    // 0 is refused: coreutils `timeout 0` means "no limit", the opposite of what a tiny timeout asks for.
    else if (flag === "--ipam-timeout-ms" && /^[1-9]\d*$/.test(value)) parsed.ipamTimeoutMs = Number(value);
    else if (flag === "--timeout-program" && value.startsWith("/")) parsed.timeoutProgram = value;
    else if (!arg.startsWith("--")) positional.push(arg);
    else throw new Error(`Cannot parse host argument "${arg}"`);
  }
  if (positional.length !== 2) {
    throw new Error(
      "usage: main.ts <module.wasm> <libc path> [--mode=cni|stream] [--ipam-timeout-ms=N] [-- args]",
    );
  }
  [parsed.wasmPath, parsed.libcPath] = positional;
  return parsed;
}

/** The named variables that are set (and readable under the granted --allow-env). */
function pickEnv(names: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of names) {
    const value = Deno.env.get(name);
    if (value !== undefined) env[name] = value;
  }
  return env;
}

/** Wires argv and the environment into one module run; any host error becomes CNI error 999. */
function main(): number {
  try {
    const args = parseHostArgs(Deno.args);
    // The link broker (stream mode) is granted no environment at all, and needs none.
    const env = args.mode === "cni" ? pickEnv(CNI_ENV_NAMES) : {};
    const moduleName = args.wasmPath.slice(args.wasmPath.lastIndexOf("/") + 1).replace(/\.wasm$/, "");
    return runModule({
      ...args,
      args: [moduleName, ...args.moduleArgs],
      env,
      ipamEnv: args.mode === "cni" ? { ...env, ...pickEnv(["PATH"]) } : {},
    });
  } catch (error) {
    // Before the module ran (bad arguments, an env variable not granted): stdin is not read yet.
    const json = internalErrorJson(new Uint8Array(0), "macvtap plugin host failed", String(error));
    Deno.stdout.writeSync(new TextEncoder().encode(json));
    return 1;
  }
}

if (import.meta.main) Deno.exit(main());
