/**
 * The repository's TypeScript import graph, as `deno info --json` resolves it, and what is wrong in it:
 * import cycles, imports across a folder boundary, and modules of a product folder that only tests import.
 *
 * One `deno info` run over a generated module that imports every root, so the graph is Deno's own
 * resolution (import map, npm packages, type-only imports) and costs one process. Only the repository's
 * own files are kept; npm packages and `node:` modules are leaves outside it.
 *
 * Requires `--allow-run` (deno), `--allow-read` of the repository, `--allow-write` of the temp dir.
 *
 * @module
 */
import { relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/** One module of the repository and the repository modules it imports. */
export interface GraphModule {
  /** Imported for their values (they run when this module loads). */
  code: Set<string>;
  /** Imported with `import type` only (erased at run time). */
  types: Set<string>;
}

/** Repository modules by path relative to the repository root (`daemon/main.ts`). */
export type ImportGraph = Map<string, GraphModule>;

/** "No module under `from` imports one under `to`". Both are folder prefixes (`daemon/macvtap/`). */
export interface Boundary {
  from: string;
  to: string;
  why: string;
}

interface InfoDependency {
  code?: { specifier?: string };
  type?: { specifier?: string };
}

interface InfoModule {
  specifier: string;
  dependencies?: InfoDependency[];
  error?: string;
}

/**
 * The import graph reachable from `roots` (paths relative to `root`), as Deno resolves it with `root`'s
 * deno.json.
 *
 * @throws {Error} naming the module when Deno cannot resolve or parse one, or when `deno info` fails
 */
export async function importGraph(root: string, roots: string[]): Promise<ImportGraph> {
  const dir = await Deno.makeTempDir({ prefix: "import-graph-" });
  try {
    const entry = `${dir}/roots.ts`;
    const lines = roots.map((path) => `import ${JSON.stringify(pathToFileURL(`${root}/${path}`).href)};`);
    await Deno.writeTextFile(entry, `${lines.join("\n")}\n`);
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", "--config", `${root}/deno.json`, entry],
      cwd: root,
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) {
      throw new Error(`deno info over ${roots.length} roots failed: ${new TextDecoder().decode(out.stderr)}`);
    }
    const info = JSON.parse(new TextDecoder().decode(out.stdout)) as { modules: InfoModule[] };
    return graphOf(info.modules, root, entry);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function graphOf(modules: InfoModule[], root: string, entry: string): ImportGraph {
  const local = (specifier: string | undefined): string | null => {
    if (!specifier?.startsWith("file://")) return null;
    const path = fileURLToPath(specifier);
    if (path === entry) return null;
    const inRepo = relative(root, path);
    return inRepo.startsWith("..") || inRepo.startsWith("node_modules/") ? null : inRepo;
  };
  const graph: ImportGraph = new Map();
  for (const module of modules) {
    const from = local(module.specifier);
    if (from === null) continue;
    if (module.error) {
      const importers = modules.filter((m) =>
        m.dependencies?.some((d) => d.code?.specifier === module.specifier)
      )
        .map((m) => local(m.specifier) ?? m.specifier);
      throw new Error(`Cannot load ${from} (imported by ${importers.join(", ")}): ${module.error}`);
    }
    const node: GraphModule = { code: new Set(), types: new Set() };
    for (const dependency of module.dependencies ?? []) {
      const code = local(dependency.code?.specifier);
      const type = local(dependency.type?.specifier);
      if (code !== null) node.code.add(code);
      else if (type !== null) node.types.add(type);
    }
    graph.set(from, node);
  }
  return graph;
}

/** Every module `module` imports, for its values or its types. */
function importsOf(graph: ImportGraph, module: string): string[] {
  const node = graph.get(module);
  return node ? [...node.code, ...node.types] : [];
}

/**
 * The import cycles: each a list of modules that import one another (directly or through each other),
 * type-only imports included (a cycle of types still ties the modules together), sorted.
 */
export function importCycles(graph: ImportGraph): string[][] {
  return strongComponents(graph)
    .filter((component) => component.length > 1 || importsOf(graph, component[0]!).includes(component[0]!))
    .map((component) => component.sort())
    .sort((a, b) => a[0]! < b[0]! ? -1 : 1);
}

/** Tarjan's strongly connected components, iterative so that a deep graph cannot overflow the stack. */
function strongComponents(graph: ImportGraph): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const work: { module: string; edges: string[] }[] = [];
  const visit = (module: string) => {
    index.set(module, index.size);
    low.set(module, index.get(module)!);
    stack.push(module);
    onStack.add(module);
    work.push({ module, edges: importsOf(graph, module) });
  };
  for (const start of [...graph.keys()].sort()) {
    if (!index.has(start)) visit(start);
    while (work.length > 0) {
      const top = work[work.length - 1]!;
      const edge = top.edges.pop();
      if (edge !== undefined && !index.has(edge)) visit(edge);
      else if (edge !== undefined && onStack.has(edge)) lower(low, top.module, index.get(edge)!);
      else if (edge === undefined) {
        work.pop();
        if (work.length > 0) lower(low, work[work.length - 1]!.module, low.get(top.module)!);
        if (low.get(top.module) === index.get(top.module)) {
          components.push(popComponent(stack, onStack, top.module));
        }
      }
    }
  }
  return components;
}

function lower(low: Map<string, number>, module: string, to: number): void {
  low.set(module, Math.min(low.get(module)!, to));
}

/** Takes `root`'s component off the top of Tarjan's stack. */
function popComponent(stack: string[], onStack: Set<string>, root: string): string[] {
  const component = stack.splice(stack.lastIndexOf(root));
  for (const module of component) onStack.delete(module);
  return component;
}

/** One line per import that crosses one of `boundaries`. */
export function boundaryViolations(graph: ImportGraph, boundaries: Boundary[]): string[] {
  const problems: string[] = [];
  for (const [module, node] of graph) {
    for (const imported of [...node.code, ...node.types].sort()) {
      for (const boundary of boundaries) {
        if (module.startsWith(boundary.from) && imported.startsWith(boundary.to)) {
          problems.push(`${module} imports ${imported}: ${boundary.why}`);
        }
      }
    }
  }
  return problems.sort();
}

/** Every module reachable from `roots` without passing through a module `avoid` accepts, the roots included. */
export function reachable(graph: ImportGraph, roots: string[], avoid = (_: string) => false): Set<string> {
  const seen = new Set<string>();
  const pending = [...roots];
  while (pending.length > 0) {
    const module = pending.pop()!;
    if (seen.has(module)) continue;
    seen.add(module);
    pending.push(...importsOf(graph, module).filter((imported) => !avoid(imported)));
  }
  return seen;
}

/**
 * Modules of the product (`isProduct`) that no product entry point reaches except through test code
 * (`isTest`), though tests import them: test code kept among the product's files.
 */
export function testOnlyModules(
  graph: ImportGraph,
  productEntries: string[],
  isProduct: (module: string) => boolean,
  isTest: (module: string) => boolean,
): string[] {
  const used = reachable(graph, productEntries, isTest);
  return [...graph.keys()].filter((module) => isProduct(module) && !used.has(module)).sort();
}
