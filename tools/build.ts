/**
 * `deno task build`: compiles the wasm modules and writes two folders.
 *
 * dist/cni/, the installable CNI bin folder (copying every file into a CNI bin dir installs it):
 * - `macvtap`           the launcher (tools/launcher.sh), executable
 * - `macvtap-host.js`   the capability host (cni-wasm/host/main.ts), bundled into one file
 * - `macvtap.wasm`      the plugin module (cni-wasm/assembly/index.ts)
 * - `deno`              this Deno (hard link when on the same filesystem, else a copy)
 *
 * dist/link-broker, the device plugin's link broker (the daemon's `--broker`): the launcher
 * (tools/broker_launcher.sh) running the same host in stream mode on the files of dist/broker/:
 * `macvtap-host.js`, `broker.wasm` (cni-wasm/assembly/broker.ts) and `deno`.
 *
 * Requires `--allow-read`, `--allow-write` (repository, Deno.execPath()),
 * `--allow-env` (the AssemblyScript compiler), `--allow-run` (deno bundle).
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { CNI_WASM_DIR, compileAssembly } from "./asc.ts";
import { libcPathFor } from "../cni-wasm/host/libc.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** Where `deno task build` writes the CNI bin folder. */
export const CNI_DIST_DIR = `${ROOT}dist/cni`;

/** Where `deno task build` writes the link broker's files. */
export const BROKER_DIST_DIR = `${ROOT}dist/broker`;

/** The link broker launcher: the one program the daemon may run (deno.json permission set "daemon"). */
export const BROKER_LAUNCHER = `${ROOT}dist/link-broker`;

/** The launcher template copied to `<dist>/macvtap`. */
export const LAUNCHER_TEMPLATE = `${ROOT}tools/launcher.sh`;

/** The broker launcher template, written one level above the broker's files. */
export const BROKER_LAUNCHER_TEMPLATE = `${ROOT}tools/broker_launcher.sh`;

/** Entry of the capability host. */
export const HOST_ENTRY = `${ROOT}cni-wasm/host/main.ts`;

/** One wasm module of the build. Paths are relative to cni-wasm/. */
interface ModuleBuild {
  entry: string;
  outFile: string;
  /** asconfig.json target (default "release"). */
  target?: string;
}

/**
 * The CNI plugin module, built with the "cni" target: the stub runtime (a bump
 * allocator that never frees) suits a process that lives for one request and
 * starts ~5 ms faster than with the incremental GC (measured with hyperfine).
 */
export const CNI_MODULE: ModuleBuild = {
  entry: "assembly/index.ts",
  outFile: "build/macvtap.wasm",
  target: "cni",
};

/** The link broker module: long-running, so it keeps the incremental GC ("release"). */
export const BROKER_MODULE: ModuleBuild = { entry: "assembly/broker.ts", outFile: "build/broker.wasm" };

/** Stand-in while assembly/index.ts is not written yet: the host probe (tests use it too). */
export const PROBE_MODULE: ModuleBuild = {
  entry: "test/harness/host_probe.ts",
  outFile: "build/test/host_probe.wasm",
};

/**
 * Compiles the CNI module.
 *
 * @returns absolute path of the wasm to install
 */
export async function buildCniModule(): Promise<string> {
  await compileAssembly(CNI_MODULE);
  return `${CNI_WASM_DIR}/${CNI_MODULE.outFile}`;
}

/** Compiles the link broker module. @returns its absolute path */
export async function buildBrokerModule(): Promise<string> {
  await compileAssembly(BROKER_MODULE);
  return `${CNI_WASM_DIR}/${BROKER_MODULE.outFile}`;
}

/** Compiles the host probe (the WASI module the host tests run). @returns its absolute path */
export async function buildProbeModule(): Promise<string> {
  await compileAssembly(PROBE_MODULE);
  return `${CNI_WASM_DIR}/${PROBE_MODULE.outFile}`;
}

/**
 * Bundles the host into one JavaScript file (no import resolution left at start-up).
 *
 * Requires `--allow-run` of Deno.execPath().
 */
export async function bundleHost(outFile: string): Promise<void> {
  const out = await new Deno.Command(Deno.execPath(), {
    // Minified: Deno parses the whole script for imports at every start; half the bytes, ~1 ms less.
    args: ["bundle", "--quiet", "--no-lock", "--minify", "-o", outFile, HOST_ENTRY],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(`Cannot bundle "${HOST_ENTRY}": ${new TextDecoder().decode(out.stderr).trim()}`);
  }
}

/**
 * Writes a complete CNI bin folder: launcher, bundled host, `wasmPath` as macvtap.wasm, and deno.
 *
 * @param outDir folder to (re)create the files in
 * @param wasmPath the module to install
 */
export async function writeCniDist(outDir: string, wasmPath: string): Promise<void> {
  await Deno.mkdir(outDir, { recursive: true });
  await bundleHost(`${outDir}/macvtap-host.js`);
  await Deno.copyFile(wasmPath, `${outDir}/macvtap.wasm`);
  await writeLauncher(LAUNCHER_TEMPLATE, `${outDir}/macvtap`);
  await installDeno(`${outDir}/deno`);
}

/** Writes the link broker: bundled host, `wasmPath` as broker.wasm and deno in `outDir`, the launcher beside it. */
export async function writeBrokerDist(outDir: string, wasmPath: string): Promise<void> {
  await Deno.mkdir(outDir, { recursive: true });
  await bundleHost(`${outDir}/macvtap-host.js`);
  await Deno.copyFile(wasmPath, `${outDir}/broker.wasm`);
  await writeLauncher(BROKER_LAUNCHER_TEMPLATE, `${outDir}/../link-broker`);
  await installDeno(`${outDir}/deno`);
}

/** Copies a launcher template with this machine's libc path written in, executable. */
async function writeLauncher(template: string, target: string): Promise<void> {
  const libc = libcPathFor(Deno.build.arch);
  if (libc === null) {
    throw new Error(`Cannot build for architecture "${Deno.build.arch}": no known libc path`);
  }
  const text = (await Deno.readTextFile(template)).replaceAll("@LIBC_PATH@", libc);
  await Deno.writeTextFile(target, text);
  await Deno.chmod(target, 0o755);
}

/** Hard-links this Deno to `target` (a copy across filesystems); leaves an identical file alone. */
export async function installDeno(target: string): Promise<void> {
  const source = Deno.execPath();
  const wanted = await Deno.stat(source);
  const present = await Deno.stat(target).catch(() => null);
  if (present && present.ino === wanted.ino && present.dev === wanted.dev) return;
  if (present) await Deno.remove(target);
  try {
    await Deno.link(source, target);
  } catch {
    // EXDEV (another filesystem) or EPERM (protected hard links): a copy works everywhere.
    await Deno.copyFile(source, target);
    await Deno.chmod(target, 0o755);
  }
}

if (import.meta.main) {
  await writeCniDist(CNI_DIST_DIR, await buildCniModule());
  console.error(`build: wrote ${CNI_DIST_DIR} (macvtap, macvtap-host.js, macvtap.wasm, deno)`);
  await writeBrokerDist(BROKER_DIST_DIR, await buildBrokerModule());
  console.error(
    `build: wrote ${BROKER_LAUNCHER} and ${BROKER_DIST_DIR} (macvtap-host.js, broker.wasm, deno)`,
  );
}
