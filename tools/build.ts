/**
 * `deno task build`: compiles the AssemblyScript modules and then each into a static executable
 * (asc → wasm2c → cc, see tools/native.ts). Writes:
 *
 * - `dist/cni/macvtap`   the CNI plugin: one static executable, the whole installable CNI bin folder
 * - `dist/link-broker`   the device plugin's link broker (the daemon's `--broker`), same host in stream mode
 * - `dist/wasm/`         the two WASI modules they were compiled from (`macvtap.wasm`, `broker.wasm`), for
 *                        inspection and for the benchmarks' size figures (bench/run.ts)
 *
 * The executables are for the machine's own architecture. `--arch arm64` (or `amd64`, or `all`) also
 * builds another one with Debian's cross compiler (`gcc-aarch64-linux-gnu` + `libc6-dev-arm64-cross`, or
 * `gcc-x86-64-linux-gnu` + `libc6-dev-amd64-cross` on an arm64 machine): the wasm2c output and the host
 * are portable C, so only the compiler changes. Those land in `dist/<arch>/cni/macvtap` and
 * `dist/<arch>/link-broker`.
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

/** The build's output folder. */
export const DIST_DIR = `${ROOT}dist`;

/** The installable CNI bin folder. */
export const CNI_DIST_DIR = `${DIST_DIR}/cni`;

/** The CNI plugin executable. */
export const CNI_PLUGIN = `${CNI_DIST_DIR}/macvtap`;

/** The link broker: the one program the daemon may run (see daemon/sandbox.ts). */
export const BROKER_EXECUTABLE = `${DIST_DIR}/link-broker`;

/** The WASI modules the executables are compiled from. */
export const WASM_DIST_DIR = `${DIST_DIR}/wasm`;

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

/** A Linux architecture, as Debian and OCI name it. */
export type Arch = "amd64" | "arm64";

/** Every architecture the stack is built for. */
export const ARCHES: readonly Arch[] = ["amd64", "arm64"];

/** The architecture of this machine. */
export const HOST_ARCH: Arch = Deno.build.arch === "aarch64" ? "arm64" : "amd64";

/** Debian's cross compiler for each architecture (used when it is not the machine's own). */
export const CROSS_COMPILERS: Record<Arch, string> = {
  amd64: "x86_64-linux-gnu-gcc",
  arm64: "aarch64-linux-gnu-gcc",
};

/** Where the executables of `arch` go: dist/ itself for the machine's own, dist/<arch>/ for another. */
export function archExecutables(arch: Arch): { cni: string; broker: string } {
  if (arch === HOST_ARCH) return { cni: CNI_PLUGIN, broker: BROKER_EXECUTABLE };
  return { cni: `${ROOT}dist/${arch}/cni/macvtap`, broker: `${ROOT}dist/${arch}/link-broker` };
}

/** One executable built for `arch`: its own build folder and, off the machine's arch, the cross compiler. */
export function forArch(build: NativeBuild, arch: Arch): NativeBuild {
  if (arch === HOST_ARCH) return build;
  return { ...build, name: `${build.name}-${arch}`, cc: CROSS_COMPILERS[arch] };
}

/** Files an earlier build (the Deno host) left that no longer belong in dist/. */
const STALE = ["cni/deno", "cni/macvtap-host.js", "cni/macvtap.wasm", "broker"];

/**
 * Builds everything `deno task build` promises, for the machine's architecture and any other in `arches`.
 *
 * @returns the executables written, by architecture
 */
export async function buildAll(arches: readonly Arch[] = [HOST_ARCH]): Promise<Map<Arch, string[]>> {
  const [cniWasm, brokerWasm] = [await buildModule(CNI_MODULE), await buildModule(BROKER_MODULE)];
  await Deno.mkdir(WASM_DIST_DIR, { recursive: true });
  await Deno.copyFile(cniWasm, `${WASM_DIST_DIR}/macvtap.wasm`);
  await Deno.copyFile(brokerWasm, `${WASM_DIST_DIR}/broker.wasm`);
  const written = new Map<Arch, string[]>();
  for (const arch of new Set([HOST_ARCH, ...arches])) {
    const out = archExecutables(arch);
    await Promise.all([
      compileNative(forArch(cniExecutable(cniWasm, out.cni), arch)),
      compileNative(forArch(brokerExecutable(brokerWasm, out.broker), arch)),
    ]);
    written.set(arch, [out.cni, out.broker]);
  }
  for (const stale of STALE) await Deno.remove(`${ROOT}dist/${stale}`, { recursive: true }).catch(() => {});
  return written;
}

/**
 * `--arch amd64|arm64|all` (repeatable, also `--arch=…`); none means the machine's own.
 *
 * @throws Error naming an argument it cannot use
 */
export function archesFromArgs(args: string[]): Arch[] {
  const values = args.flatMap((arg, i) => {
    if (arg.startsWith("--arch=")) return [arg.slice("--arch=".length)];
    if (arg === "--arch") return [args[i + 1] ?? ""];
    if (args[i - 1] === "--arch") return [];
    throw new Error(`Cannot use argument "${arg}": expected --arch ${ARCHES.join("|")}|all`);
  });
  return values.flatMap((value) => {
    if (value === "all") return [...ARCHES];
    if ((ARCHES as readonly string[]).includes(value)) return [value as Arch];
    throw new Error(`Cannot build for "${value}": expected one of ${ARCHES.join(", ")}, all`);
  });
}

if (import.meta.main) {
  const written = await buildAll(archesFromArgs(Deno.args));
  const executables = [...written.values()].flat().join(", ");
  console.error(`build: wrote ${executables} and ${WASM_DIST_DIR}/{macvtap,broker}.wasm`);
}
