/**
 * Runs one WASI module to completion and turns every way it can end into an
 * exit code: proc_exit(n) → n (stdout flushed); a trap or a host failure →
 * stdout discarded, CNI error 999 on stdout, exit 1.
 *
 * Requires `--allow-read` of the wasm file, plus what the imports need
 * (`--allow-ffi=<libc path>`, `--allow-run=<timeout path>`) once the module
 * calls them.
 *
 * @module
 */
import { internalErrorJson } from "./cni_error.ts";
import { createHostImports, ModuleTrap } from "./imports.ts";
import { Libc } from "./libc.ts";
import { ModuleMemory } from "./memory.ts";
import { type ByteSink, type ByteSource, ProcExit, readAll, Wasi, type WasiMode, writeAll } from "./wasi.ts";

/** Everything one run needs; main.ts fills it from argv and the environment. */
export interface RunOptions {
  /** Absolute path of the module. */
  wasmPath: string;
  /** Absolute libc path (opened only if the module calls an import that needs it). */
  libcPath: string;
  mode: WasiMode;
  /** Module argv, argv[0] included. */
  args: string[];
  /** Module environment. */
  env: Record<string, string>;
  /** IPAM plugin environment (CNI_* and PATH). */
  ipamEnv: Record<string, string>;
  /** Absolute path of coreutils `timeout`. */
  timeoutProgram: string;
  ipamTimeoutMs?: number;
  /** Defaults: Deno.stdin, Deno.stdout, Deno.stderr. */
  stdin?: ByteSource;
  stdout?: ByteSink;
  stderr?: ByteSink;
}

/**
 * Compiles and runs the module's `_start`.
 *
 * @returns the process exit code
 */
export function runModule(options: RunOptions): number {
  const stdout = options.stdout ?? Deno.stdout;
  const stderr = options.stderr ?? Deno.stderr;
  // Read up front in CNI mode: the module gets it through fd_read, and errors need its cniVersion.
  const stdinBytes = options.mode === "cni" ? readAll(options.stdin ?? Deno.stdin) : new Uint8Array(0);
  const fail = (msg: string, details: string): number => {
    writeAll(stderr, new TextEncoder().encode(`${msg}: ${details}\n`));
    writeAll(stdout, new TextEncoder().encode(internalErrorJson(stdinBytes, msg, details)));
    return 1;
  };

  let module: WebAssembly.Module;
  try {
    // Synchronous: a module of tens of KB compiles in under a millisecond; no background tasks to wait for.
    module = new WebAssembly.Module(Deno.readFileSync(options.wasmPath));
  } catch (error) {
    return fail("macvtap plugin host failed", `cannot load module "${options.wasmPath}": ${describe(error)}`);
  }
  const memory = new ModuleMemory();
  const wasi = new Wasi(memory, { ...options, stdinBytes, stdout, stderr });
  const libc = new Libc(options.libcPath);
  const host = createHostImports({ ...options, libc, memory, stdinBuffered: options.mode === "cni" });
  try {
    const code = start(module, memory, {
      wasi_snapshot_preview1: wasi.imports(),
      macvtap_host: host.imports,
    });
    wasi.flushStdout();
    return code;
  } catch (error) {
    wasi.discardStdout();
    const what = isTrap(error) ? "macvtap plugin trapped" : "macvtap plugin host failed";
    return fail(what, describe(error));
  } finally {
    host.closeAll();
  }
}

/** Instantiates and runs `_start`. @returns 0, or the proc_exit code; throws on a trap or host failure */
function start(module: WebAssembly.Module, memory: ModuleMemory, imports: WebAssembly.Imports): number {
  const { memory: exported, _start } = new WebAssembly.Instance(module, imports).exports;
  if (!(exported instanceof WebAssembly.Memory) || typeof _start !== "function") {
    throw new Error("Cannot run module: it must export `memory` and `_start` (a WASI command)");
  }
  memory.attach(exported);
  try {
    _start();
    return 0;
  } catch (error) {
    if (error instanceof ProcExit) return error.code;
    throw error;
  }
}

/** A failure of the module itself: abort, unreachable, bounds, stack overflow, out of memory. */
function isTrap(error: unknown): boolean {
  return error instanceof ModuleTrap || error instanceof WebAssembly.RuntimeError ||
    error instanceof RangeError;
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return `${error.name}: ${error.message}`;
}
