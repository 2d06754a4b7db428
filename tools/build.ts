/**
 * `deno task build`: compiles the AssemblyScript modules and then each into a static executable
 * (asc → wasm2c → cc, see tools/native.ts). Writes:
 *
 * - `dist/cni/macvtap`   the CNI plugin: one static executable, the whole installable CNI bin folder
 * - `dist/link-broker`   the device plugin's link broker (the daemon's `--broker`), same host in stream mode
 * - `dist/wasm/`         the two WASI modules they were compiled from (`macvtap.wasm`, `broker.wasm`), for
 *                        inspection and for test harnesses that run a module in-process
 *
 * Run it through `deno task build` (tools/prepare.ts), which first installs the npm compiler and the
 * Debian toolchain (`wabt`, `gcc`) when they are missing.
 *
 * Requires `--allow-read`, `--allow-write` (repository), `--allow-env` (the AssemblyScript compiler),
 * `--allow-run` (wasm2c, cc).
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { CNI_WASM_DIR, compileAssembly } from "./asc.ts";
import { compileNative, type NativeBuild } from "./native.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** The installable CNI bin folder. */
export const CNI_DIST_DIR = `${ROOT}dist/cni`;

/** The CNI plugin executable. */
export const CNI_PLUGIN = `${CNI_DIST_DIR}/macvtap`;

/** The link broker: the one program the daemon may run (see daemon/sandbox.ts). */
export const BROKER_EXECUTABLE = `${ROOT}dist/link-broker`;

/** The WASI modules the executables are compiled from. */
export const WASM_DIST_DIR = `${ROOT}dist/wasm`;

/** One wasm module of the build. Paths are relative to cni-wasm/. */
export interface ModuleBuild {
  entry: string;
  outFile: string;
  /** asconfig.json target (default "release"). */
  target?: string;
}

/**
 * The CNI plugin module, built with the "cni" target: the stub runtime (a bump allocator that never
 * frees) suits a process that lives for one request.
 */
export const CNI_MODULE: ModuleBuild = {
  entry: "assembly/index.ts",
  outFile: "build/macvtap.wasm",
  target: "cni",
};

/** The link broker module: long-running, so it keeps the incremental GC ("release"). */
export const BROKER_MODULE: ModuleBuild = { entry: "assembly/broker.ts", outFile: "build/broker.wasm" };

/** Compiles one module (when its sources changed). @returns the absolute path of the wasm */
export async function buildModule(module: ModuleBuild): Promise<string> {
  await compileAssembly(module);
  return `${CNI_WASM_DIR}/${module.outFile}`;
}

/**
 * Linear memory the CNI plugin may use. Every input up to the 4 MiB stdin limit is handled within it
 * (parse and result building are linear and bounded: cni-wasm/test/fuzz/memory_ceiling_test.ts), so
 * growing past it is a bug, and it ends as a trap before the runtime's node feels it.
 */
export const CNI_MEMORY_LIMIT_MIB = 64;

/** The CNI plugin: CNI mode, at most CNI_MEMORY_LIMIT_MIB of linear memory. */
export function cniExecutable(wasm: string, out = CNI_PLUGIN): NativeBuild {
  return { name: "macvtap", wasm, out, memoryLimitMib: CNI_MEMORY_LIMIT_MIB };
}

/** The link broker: stream mode (it serves the daemon for the node's lifetime). */
export function brokerExecutable(wasm: string, out = BROKER_EXECUTABLE): NativeBuild {
  return { name: "link-broker", wasm, out, stream: true };
}

/** Files an earlier build (the Deno host) left that no longer belong in dist/. */
const STALE = ["cni/deno", "cni/macvtap-host.js", "cni/macvtap.wasm", "broker"];

/** Builds everything `deno task build` promises. */
export async function buildAll(): Promise<void> {
  const [cniWasm, brokerWasm] = [await buildModule(CNI_MODULE), await buildModule(BROKER_MODULE)];
  await Deno.mkdir(WASM_DIST_DIR, { recursive: true });
  await Deno.copyFile(cniWasm, `${WASM_DIST_DIR}/macvtap.wasm`);
  await Deno.copyFile(brokerWasm, `${WASM_DIST_DIR}/broker.wasm`);
  await Promise.all([compileNative(cniExecutable(cniWasm)), compileNative(brokerExecutable(brokerWasm))]);
  for (const stale of STALE) await Deno.remove(`${ROOT}dist/${stale}`, { recursive: true }).catch(() => {});
}

if (import.meta.main) {
  await buildAll();
  console.error(
    `build: wrote ${CNI_PLUGIN}, ${BROKER_EXECUTABLE} and ${WASM_DIST_DIR}/{macvtap,broker}.wasm`,
  );
}
