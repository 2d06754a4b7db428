/**
 * Compiles an AssemblyScript test harness (cni-wasm/test/harness/<name>.ts, plain
 * module with raw bindings) and instantiates it for a Deno test.
 *
 * Requires --allow-read/--allow-write on the repository and --allow-env.
 *
 * @module
 */
import { CNI_WASM_DIR, compileAssembly } from "../../tools/asc.ts";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { createHostImports } from "../host/imports.ts";
import { Libc, libcPathFor } from "../host/libc.ts";
import { ModuleMemory } from "../host/memory.ts";

/**
 * Builds (when sources changed) and instantiates harness `name`.
 *
 * @param name harness file name without `.ts`, e.g. "json_harness"
 * @param imports extra imports (e.g. a fake `macvtap_host`)
 * @returns the module's exports, with strings and arrays lifted by the generated bindings
 */
export async function loadHarness<T>(name: string, imports: Record<string, unknown> = {}): Promise<T> {
  const outFile = `build/test/${name}.wasm`;
  await compileAssembly({
    entry: `test/harness/${name}.ts`,
    outFile,
    config: "asconfig.harness.json",
  });
  const wasmPath = join(CNI_WASM_DIR, outFile);
  const bindings = await import(pathToFileURL(wasmPath.replace(/\.wasm$/, ".js")).href);
  const module = await WebAssembly.compile(await Deno.readFile(wasmPath));
  return await bindings.instantiate(module, { env: {}, ...imports }) as T;
}

/** A harness wired to the real capability host (netlink, netns, /dev, sysfs through libc). */
export interface RealHostHarness<T> extends Disposable {
  harness: T;
}

/**
 * Loads harness `name` with the real `macvtap_host` imports, as the host gives them to the CNI module.
 * Dispose closes every socket and netns handle the harness opened.
 *
 * Requires root for anything that touches the kernel, and `--allow-ffi=<libc path>`.
 */
export async function loadHarnessOnRealHost<T extends { memory: WebAssembly.Memory }>(
  name: string,
): Promise<RealHostHarness<T>> {
  const memory = new ModuleMemory();
  const host = createHostImports({
    libc: new Libc(libcPathFor(Deno.build.arch)!),
    memory,
    ipamEnv: {},
    timeoutProgram: "/usr/bin/timeout",
    stdinBuffered: true,
  });
  const harness = await loadHarness<T>(name, { macvtap_host: host.imports });
  memory.attach(harness.memory);
  return { harness, [Symbol.dispose]: () => host.closeAll() };
}
