/**
 * Rules for the AssemblyScript sources that no compiler checks (deno check skips them, and `deno info`
 * cannot follow their extension-less imports):
 * - which folders of cni-wasm/assembly/ may import which: macvtap/ and hostdev/ never import each other,
 *   and attach/, which both build on, imports neither;
 * - no import cycle between files;
 * - every file there is part of a module (reached from index.ts or broker.ts): code only tests use lives
 *   under cni-wasm/test/;
 * - every AssemblyScript file (assembly/ and test/modules/) keeps within 110 columns, comments and strings
 *   included, which deno fmt does not wrap; imports/bindings.ts, the one file deno fmt must skip, also
 *   keeps the rest of its layout, and declares exactly the imports the capability host defines
 *   (cni-wasm/host/imports.h).
 *
 * Requires --allow-read on cni-wasm/.
 *
 * @module
 */
import assert from "node:assert/strict";
import { dirname, join, normalize, relative } from "node:path";
import { CNI_WASM_DIR } from "../../tools/asc.ts";

const ASSEMBLY_DIR = join(CNI_WASM_DIR, "assembly");
const TEST_MODULES_DIR = join(CNI_WASM_DIR, "test/modules");
const ENTRIES = ["index.ts", "broker.ts"];
const LINE_WIDTH = 110;

/**
 * Folder of assembly/ → the folders it may import from. A new dependency between folders is a design
 * decision: add it here with the code that needs it.
 */
const ALLOWED_IMPORTS: Record<string, string[]> = {
  json: [],
  imports: ["cni"],
  netlink: ["imports"],
  cni: ["imports", "json"],
  attach: ["cni", "imports", "json", "netlink"],
  macvtap: ["attach", "cni", "imports", "json", "netlink"],
  hostdev: ["attach", "cni", "imports", "json", "netlink"],
  broker: ["hostdev", "imports", "json", "macvtap", "netlink"],
};

/** Every `.ts` file under `dir`, as paths relative to `root` (e.g. "attach/session.ts"). */
function sourceFiles(dir = ASSEMBLY_DIR, root = dir): string[] {
  const files: string[] = [];
  for (const entry of Deno.readDirSync(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) files.push(...sourceFiles(path, root));
    else if (entry.name.endsWith(".ts")) files.push(relative(root, path));
  }
  return files.sort();
}

/** The assembly/ files `file` imports (relative specifiers only; "~lib/…" and "shared/…" are the compiler's). */
function importsOf(file: string, text: string): string[] {
  const pattern = /^(?:import|export)\b[^;]*?\bfrom\s+"([^"]+)"\s*;|^import\s+"([^"]+)"\s*;/gm;
  const targets: string[] = [];
  for (const match of text.matchAll(pattern)) {
    const specifier = match[1] ?? match[2] ?? "";
    if (specifier.startsWith(".")) targets.push(normalize(join(dirname(file), specifier)) + ".ts");
  }
  return targets;
}

/** file → the files it imports, for every file under assembly/. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sourceFiles()) {
    graph.set(file, importsOf(file, Deno.readTextFileSync(join(ASSEMBLY_DIR, file))));
  }
  return graph;
}

/** The folder a file belongs to, or "" for the entry files at the top. */
function folderOf(file: string): string {
  const slash = file.indexOf("/");
  return slash < 0 ? "" : file.slice(0, slash);
}

const graph = importGraph();

Deno.test("source rules: every import names a file that exists", () => {
  for (const [file, targets] of graph) {
    for (const target of targets) {
      assert.ok(graph.has(target), `${file} imports ${target}, which does not exist`);
    }
  }
});

Deno.test("source rules: folders of cni-wasm/assembly/ import only what ALLOWED_IMPORTS lets them", () => {
  const broken: string[] = [];
  for (const [file, targets] of graph) {
    const from = folderOf(file);
    if (from === "") continue; // the entry files wire everything together
    const allowed = ALLOWED_IMPORTS[from];
    assert.ok(allowed, `folder assembly/${from}/ is missing from ALLOWED_IMPORTS`);
    for (const target of targets) {
      const to = folderOf(target);
      if (to !== from && !allowed.includes(to)) broken.push(`${file} imports ${target}`);
    }
  }
  assert.deepEqual(broken, [], "imports across folders that ALLOWED_IMPORTS does not allow");
});

Deno.test("source rules: macvtap/ and hostdev/ never import each other, attach/ neither of them", () => {
  const forbidden: Record<string, string[]> = {
    macvtap: ["hostdev"],
    hostdev: ["macvtap"],
    attach: ["macvtap", "hostdev"],
  };
  for (const [file, targets] of graph) {
    const banned = forbidden[folderOf(file)] ?? [];
    for (const target of targets) assert.ok(!banned.includes(folderOf(target)), `${file} imports ${target}`);
  }
});

/** One import cycle as "a → b → a", or null when the graph has none. */
function findCycle(edges: Map<string, string[]>): string | null {
  const state = new Map<string, "open" | "done">();
  const path: string[] = [];
  const visit = (file: string): string | null => {
    state.set(file, "open");
    path.push(file);
    for (const next of edges.get(file) ?? []) {
      if (state.get(next) === "open") return [...path.slice(path.indexOf(next)), next].join(" → ");
      const found = state.has(next) ? null : visit(next);
      if (found !== null) return found;
    }
    path.pop();
    state.set(file, "done");
    return null;
  };
  for (const file of edges.keys()) {
    const found = state.has(file) ? null : visit(file);
    if (found !== null) return found;
  }
  return null;
}

Deno.test("source rules: no import cycle between files of cni-wasm/assembly/", () => {
  assert.equal(findCycle(graph), null);
});

Deno.test("source rules: findCycle finds a cycle, and none in a chain", () => {
  const chain = new Map([["a.ts", ["b.ts"]], ["b.ts", ["c.ts"]], ["c.ts", []]]);
  assert.equal(findCycle(chain), null);
  chain.set("c.ts", ["b.ts"]);
  assert.equal(findCycle(chain), "b.ts → c.ts → b.ts");
});

Deno.test("source rules: every file of cni-wasm/assembly/ is part of the plugin or the broker", () => {
  const reached = new Set<string>();
  const pending = [...ENTRIES];
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    if (reached.has(file)) continue;
    reached.add(file);
    pending.push(...(graph.get(file) ?? []));
  }
  const unused = [...graph.keys()].filter((file) => !reached.has(file));
  assert.deepEqual(unused, [], "files no module imports (test-only code belongs under cni-wasm/test/)");
});

Deno.test("source rules: importsOf reads multi-line, re-export and side-effect imports", () => {
  const text =
    'import {\n  a,\n  b,\n} from "../netlink/conn";\nexport { c } from "./c";\nimport "./trap";\n' +
    '// import { d } from "./d";\nimport { Runtime } from "shared/runtime";\n';
  assert.deepEqual(importsOf("attach/x.ts", text), ["netlink/conn.ts", "attach/c.ts", "attach/trap.ts"]);
});

/** What deno fmt would object to in a file it must skip: lines over the width, trailing blanks, tabs. */
function layoutProblems(text: string): string[] {
  const problems: string[] = [];
  if (!text.endsWith("\n") || text.endsWith("\n\n")) {
    problems.push("the file must end with exactly one newline");
  }
  text.split("\n").forEach((line, i) => {
    if (line.length > LINE_WIDTH) {
      problems.push(`line ${i + 1} has ${line.length} columns (at most ${LINE_WIDTH})`);
    }
    if (/\s$/.test(line)) problems.push(`line ${i + 1} ends with whitespace`);
    if (line.includes("\t")) problems.push(`line ${i + 1} has a tab`);
  });
  return problems;
}

Deno.test("source rules: only imports/bindings.ts skips deno fmt, and it keeps deno fmt's layout", () => {
  const skipped = sourceFiles().filter((file) =>
    Deno.readTextFileSync(join(ASSEMBLY_DIR, file)).startsWith("// deno-fmt-ignore-file")
  );
  assert.deepEqual(skipped, ["imports/bindings.ts"]);
  assert.deepEqual(layoutProblems(Deno.readTextFileSync(join(ASSEMBLY_DIR, "imports/bindings.ts"))), []);
});

Deno.test("source rules: every AssemblyScript file keeps within 110 columns, comments and strings too", () => {
  const problems: string[] = [];
  for (const dir of [ASSEMBLY_DIR, TEST_MODULES_DIR]) {
    for (const file of sourceFiles(dir)) {
      const path = join(dir, file);
      const text = Deno.readTextFileSync(path);
      problems.push(...layoutProblems(text).map((problem) => `${relative(CNI_WASM_DIR, path)}: ${problem}`));
    }
  }
  assert.deepEqual(problems, []);
});

Deno.test("source rules: layoutProblems names long lines, trailing blanks, tabs and the last newline", () => {
  assert.deepEqual(layoutProblems("ok\n"), []);
  assert.deepEqual(layoutProblems(`${"x".repeat(111)}\n\tx \n`), [
    "line 1 has 111 columns (at most 110)",
    "line 2 ends with whitespace",
    "line 2 has a tab",
  ]);
  assert.deepEqual(layoutProblems("no newline"), ["the file must end with exactly one newline"]);
});

Deno.test("source rules: bindings.ts declares exactly the imports the capability host defines", () => {
  const bindings = Deno.readTextFileSync(join(ASSEMBLY_DIR, "imports/bindings.ts"));
  const declared = [...bindings.matchAll(/^@external\("macvtap_host", "(\w+)"\)\nexport declare function /gm)]
    .map((match) => match[1]);
  const declarations = bindings.match(/^export declare function /gm) ?? [];
  assert.equal(declared.length, declarations.length, "every declare function needs its @external line");
  const header = Deno.readTextFileSync(join(CNI_WASM_DIR, "host/imports.h"));
  const defined = [...header.matchAll(/\bZ_macvtap_hostZ_(\w+)\(/g)].map((match) => match[1]);
  assert.deepEqual([...declared].sort(), [...defined].sort());
});
