/**
 * `deno task build`: compiles the plugin module and writes the installable CNI
 * bin folder dist/cni/:
 *
 * - `macvtap`           the launcher (tools/launcher.sh), executable
 * - `macvtap-host.js`   the capability host (cni-wasm/host/main.ts), bundled into one file
 * - `macvtap.wasm`      the plugin module (cni-wasm/assembly/index.ts)
 * - `deno`              this Deno (hard link when on the same filesystem, else a copy)
 *
 * Copying every file of dist/cni into a CNI bin dir installs the plugin.
 *
 * Requires `--allow-read`, `--allow-write` (repository, Deno.execPath()),
 * `--allow-env` (the AssemblyScript compiler), `--allow-run` (deno bundle).
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { CNI_WASM_DIR, compileAssembly } from "./asc.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** Where `deno task build` writes the CNI bin folder. */
export const CNI_DIST_DIR = `${ROOT}dist/cni`;

/** The launcher template copied to `<dist>/macvtap`. */
export const LAUNCHER_TEMPLATE = `${ROOT}tools/launcher.sh`;

/** Entry of the capability host. */
export const HOST_ENTRY = `${ROOT}cni-wasm/host/main.ts`;

/** One wasm module of the build. Paths are relative to cni-wasm/. */
interface ModuleBuild {
  entry: string;
  outFile: string;
}

/** The CNI plugin module. */
export const CNI_MODULE: ModuleBuild = { entry: "assembly/index.ts", outFile: "build/macvtap.wasm" };

/** Stand-in while assembly/index.ts is not written yet: the host probe (tests use it too). */
export const PROBE_MODULE: ModuleBuild = {
  entry: "test/harness/host_probe.ts",
  outFile: "build/test/host_probe.wasm",
};

// Hook for the device plugin's link broker (a later issue): add its ModuleBuild here, compile it in
// buildModules() and copy it to its own dist folder, run by the same host with `--mode=stream`.

/**
 * Compiles the CNI module (or, while its entry does not exist, the host probe).
 *
 * @returns absolute path of the wasm to install
 */
export async function buildCniModule(): Promise<string> {
  if (!exists(`${CNI_WASM_DIR}/${CNI_MODULE.entry}`)) {
    console.error(`build: ${CNI_MODULE.entry} does not exist yet; dist/cni/macvtap.wasm is the host probe`);
    return await buildProbeModule();
  }
  await compileAssembly(CNI_MODULE);
  return `${CNI_WASM_DIR}/${CNI_MODULE.outFile}`;
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
  await Deno.copyFile(LAUNCHER_TEMPLATE, `${outDir}/macvtap`);
  await Deno.chmod(`${outDir}/macvtap`, 0o755);
  await installDeno(`${outDir}/deno`);
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

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

if (import.meta.main) {
  const wasm = await buildCniModule();
  await writeCniDist(CNI_DIST_DIR, wasm);
  console.error(`build: wrote ${CNI_DIST_DIR} (macvtap, macvtap-host.js, macvtap.wasm, deno)`);
}
