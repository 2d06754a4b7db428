/**
 * Compiles an AssemblyScript test module (cni-wasm/test/modules/<name>.ts, plain
 * module with raw bindings) and instantiates it for a Deno test, on the imports the test passes (fakes).
 * Tests that need the real kernel run test-module functions on the native host instead (native_module.ts).
 *
 * Requires --allow-read/--allow-write on the repository and --allow-env.
 *
 * @module
 */
import { CNI_WASM_DIR, compileAssembly } from "../../tools/asc.ts";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

/**
 * Builds (when sources changed) and instantiates test module `name`.
 *
 * @param name test module file name without `.ts`, e.g. "json"
 * @param imports extra imports (e.g. a fake `macvtap_host`)
 * @returns the module's exports, with strings and arrays lifted by the generated bindings
 */
export async function loadModule<T>(name: string, imports: Record<string, unknown> = {}): Promise<T> {
  const outFile = `build/test/${name}.wasm`;
  await compileAssembly({
    entry: `test/modules/${name}.ts`,
    outFile,
    config: "asconfig.test.json",
  });
  const wasmPath = join(CNI_WASM_DIR, outFile);
  const bindings = await import(pathToFileURL(wasmPath.replace(/\.wasm$/, ".js")).href);
  const module = await WebAssembly.compile(await Deno.readFile(wasmPath));
  return await bindings.instantiate(module, { env: {}, ...imports }) as T;
}
