/**
 * The `@example` blocks of the netlink codec (cni-wasm/assembly/netlink/*.ts) are code, as Go runs
 * mdlayher/netlink's examples: each becomes a function of a generated AssemblyScript module (under
 * cni-wasm/build/), which is compiled and instantiated here, and every example runs as a test (an
 * `assert()` that fails throws). An example fenced "ts no-run" needs a kernel (it opens a socket): it is
 * compiled, not run. Imports in an example are written as from beside the file ("./conn").
 *
 * Requires --allow-read/--allow-write on cni-wasm/ and --allow-env (the compiler).
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { CNI_WASM_DIR, compileAssembly } from "../../../tools/asc.ts";

const CODEC_DIR = join(CNI_WASM_DIR, "assembly/netlink");
/** Where the generated module goes, relative to cni-wasm/ (one folder per process: runs may overlap). */
const GENERATED_DIR = `build/test/examples-${Deno.pid}`;
/** The codec seen from GENERATED_DIR. */
const CODEC_FROM_GENERATED = "../../../assembly/netlink/";
/** Files whose public helpers must show at least one example. */
const DOCUMENTED = [
  "address",
  "align",
  "attribute",
  "buffer",
  "conn",
  "errno",
  "error",
  "link",
  "linkinfo",
  "macvlan",
  "message",
  "route",
  "rtnl",
];

interface Example {
  /** Codec file without `.ts`, e.g. "align". */
  file: string;
  /** Line of the opening fence in that file. */
  line: number;
  /** The example's lines, without the comment's leading " * ". */
  code: string[];
  /** False for "ts no-run": compiled only. */
  run: boolean;
}

/** Every fenced `ts` block that follows an `@example` tag in the doc comments of `text`. */
function examplesOf(file: string, text: string): Example[] {
  const lines = text.split("\n");
  const examples: Example[] = [];
  let tagged = false;
  for (let i = 0; i < lines.length; i++) {
    const line = commentText(lines[i] ?? "");
    if (line === null) {
      tagged = false;
    } else if (line.trim() === "@example") {
      tagged = true;
    } else if (tagged && /^```ts( no-run)?$/.test(line.trim())) {
      const end = lines.findIndex((next, at) => at > i && commentText(next)?.trim() === "```");
      assert.ok(end > i, `${file}.ts:${i + 1}: an example fence that is never closed`);
      const code = lines.slice(i + 1, end).map((body) => commentText(body) ?? "");
      examples.push({ file, line: i + 1, code, run: !line.includes("no-run") });
      tagged = false;
      i = end;
    }
  }
  return examples;
}

/** The text of a doc-comment line (" * text" → "text"), or null for a line outside a doc comment. */
function commentText(line: string): string | null {
  const match = line.match(/^\s*\*(?: (.*))?$/);
  return match ? match[1] ?? "" : null;
}

const isImport = (line: string) => line.startsWith("import ");

/** The example as a module of its own: its imports, then its body as `example()`. */
function exampleModule(example: Example): string {
  const imports = example.code.filter(isImport);
  const body = example.code.filter((line) => !isImport(line));
  const rewritten = imports.map((line) =>
    line.replace(/from "\.\/([\w]+)"/, `from "${CODEC_FROM_GENERATED}$1"`)
  );
  for (const line of rewritten) {
    assert.ok(
      line.includes(CODEC_FROM_GENERATED),
      `${example.file}.ts:${example.line}: import beside it: ${line}`,
    );
  }
  return [...rewritten, "", "export function example(): void {", ...body.map((l) => `  ${l}`), "}", ""].join(
    "\n",
  );
}

const exportName = (example: Example) => `${example.file}_${example.line}`;

/** Writes one module per example and the entry that exports them all; @returns the entry path. */
function writeModules(examples: Example[]): string {
  const dir = join(CNI_WASM_DIR, GENERATED_DIR);
  Deno.mkdirSync(dir, { recursive: true });
  const entry: string[] = [];
  for (const example of examples) {
    const name = exportName(example);
    Deno.writeTextFileSync(join(dir, `${name}.ts`), exampleModule(example));
    entry.push(`import { example as ${name}_example } from "./${name}";`);
    entry.push(`export function ${name}(): void {\n  ${name}_example();\n}`);
  }
  Deno.writeTextFileSync(join(dir, "examples.ts"), entry.join("\n") + "\n");
  return `${GENERATED_DIR}/examples.ts`;
}

/** Functions that fail the call for every import the module has and the bindings do not provide. */
function missingImports(module: WebAssembly.Module): Record<string, Record<string, () => never>> {
  const imports: Record<string, Record<string, () => never>> = {};
  for (const { module: from, name } of WebAssembly.Module.imports(module)) {
    if (from === "env") continue; // the generated bindings provide abort
    imports[from] ??= {};
    imports[from][name] = () => {
      throw new Error(`an example called ${from}.${name}: fence it "ts no-run"`);
    };
  }
  return imports;
}

/** Compiles the examples and instantiates them: export name → the example. */
async function compileExamples(examples: Example[]): Promise<Record<string, () => void>> {
  const entry = writeModules(examples);
  const outFile = `${GENERATED_DIR}/examples.wasm`;
  try {
    await compileAssembly({ entry, outFile, config: "asconfig.test.json" });
    const wasmPath = join(CNI_WASM_DIR, outFile);
    const bindings = await import(pathToFileURL(wasmPath.replace(/\.wasm$/, ".js")).href);
    const module = await WebAssembly.compile(await Deno.readFile(wasmPath));
    return await bindings.instantiate(module, missingImports(module));
  } finally {
    await Deno.remove(join(CNI_WASM_DIR, GENERATED_DIR), { recursive: true });
  }
}

const examples = [...Deno.readDirSync(CODEC_DIR)]
  .filter((entry) => entry.name.endsWith(".ts"))
  .map((entry) => entry.name.slice(0, -3))
  .sort()
  .flatMap((file) => examplesOf(file, Deno.readTextFileSync(join(CODEC_DIR, `${file}.ts`))));
const compiled = await compileExamples(examples);

Deno.test("examples: every documented codec file shows its helpers in use", () => {
  const without = DOCUMENTED.filter((file) => !examples.some((example) => example.file === file));
  assert.deepEqual(without, [], "files without an @example");
});

Deno.test("examples: every example compiled to an export of the generated module", () => {
  for (const example of examples) assert.equal(typeof compiled[exportName(example)], "function");
});

/**
 * The line of the codec file that generated line `line` of the example's module came from (the body
 * starts after the imports, a blank line and the function's opening line).
 */
function sourceLine(example: Example, line: number): number {
  const imports = example.code.filter(isImport).length;
  const bodyIndexes = example.code.flatMap((code, i) => isImport(code) ? [] : [i]);
  const index = bodyIndexes[line - imports - 3];
  return index === undefined ? example.line : example.line + 1 + index;
}

for (const example of examples.filter((e) => e.run)) {
  Deno.test(`example ${example.file}.ts:${example.line} runs`, () => {
    try {
      compiled[exportName(example)]!();
    } catch (error) {
      const at = String(error).match(/\.ts:(\d+):\d+$/);
      const line = at ? sourceLine(example, Number(at[1])) : example.line;
      throw new Error(`${example.file}.ts:${line}: the example failed: ${error}`);
    }
  });
}

Deno.test("examples: examplesOf finds tagged ts fences only, and reads no-run", () => {
  const text = [
    "/**",
    " * Adds.",
    " *",
    " * @example",
    " * ```ts",
    ' * import { add } from "./math";',
    " * assert(add(1, 2) == 3);",
    " * ```",
    " *",
    " * @example",
    " * ```ts no-run",
    " * socket();",
    " * ```",
    " */",
    "/** ```ts",
    " * notAnExample();",
    " * ``` */",
  ].join("\n");
  assert.deepEqual(examplesOf("math", text), [
    { file: "math", line: 5, code: ['import { add } from "./math";', "assert(add(1, 2) == 3);"], run: true },
    { file: "math", line: 11, code: ["socket();"], run: false },
  ]);
});
