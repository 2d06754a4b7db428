/**
 * `deno task imports` (part of `deno task ok`): the repository's import rules, checked on the graph Deno
 * resolves from every product entry point and every test file (tools/import_graph.ts):
 *
 * - no import cycles;
 * - daemon/: macvtap/ and hostdev/ are siblings that never import each other, and resources/ (what both
 *   share) imports neither;
 * - product code never imports test code (test folders, `*_test.ts`), so none of it can reach the image;
 * - nothing in a product folder is imported only by tests: test helpers live in test folders.
 *
 * Product entry points are the TypeScript programs deno.json's tasks run, plus the programs those start
 * ({@link STARTED_ENTRY_POINTS}).
 *
 *   deno run -A tools/check_imports.ts
 *
 * Exits 1 listing every problem, 0 when there is none. Requires `-A` (runs `deno info`, reads the tree).
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import {
  type Boundary,
  boundaryViolations,
  importCycles,
  type ImportGraph,
  importGraph,
  testOnlyModules,
} from "./import_graph.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url)).replace(/\/$/, "");

/** Programs no task names but that run in production or in a task, and who starts them. */
export const STARTED_ENTRY_POINTS: Record<string, string> = {
  "daemon/main.ts": "daemon/launch.ts runs it under the sandbox it derives",
  "deploy/install_cni.ts": "the DaemonSet's init container and deploy/uninstall run it",
  "tools/build.ts": "tools/prepare.ts runs it in a process of its own",
};

/** Folders whose modules are the product: what runs on a node, builds it, or is run by a user. */
export const PRODUCT_FOLDERS = ["daemon/", "deploy/", "tools/"];

/** Folders of test code, inside product folders or not. */
export const TEST_FOLDERS = [
  "testing/",
  "daemon/testing/",
  "daemon/bench/",
  "deploy/checks/",
  "faults/",
  "integration/",
  "bench/",
  "cni-wasm/test/",
];

/** The folder rules of daemon/. */
export const BOUNDARIES: Boundary[] = [
  {
    from: "daemon/macvtap/",
    to: "daemon/hostdev/",
    why: "macvtap/ and hostdev/ are siblings; what both need belongs in daemon/resources/",
  },
  {
    from: "daemon/hostdev/",
    to: "daemon/macvtap/",
    why: "macvtap/ and hostdev/ are siblings; what both need belongs in daemon/resources/",
  },
  { from: "daemon/resources/", to: "daemon/macvtap/", why: "resources/ is what both kinds stand on" },
  { from: "daemon/resources/", to: "daemon/hostdev/", why: "resources/ is what both kinds stand on" },
];

/** Whether `module` is test code: a `*_test.ts` or anything in a test folder. */
export function isTestModule(module: string): boolean {
  return module.endsWith("_test.ts") || TEST_FOLDERS.some((folder) => module.startsWith(folder));
}

/** Whether `module` is product code. */
export function isProductModule(module: string): boolean {
  return PRODUCT_FOLDERS.some((folder) => module.startsWith(folder)) && !isTestModule(module);
}

/** The TypeScript programs `deno run` runs in deno.json's tasks, and those they start. */
export function productEntryPoints(tasks: Record<string, string>): string[] {
  const fromTasks = Object.values(tasks).flatMap((command) =>
    [...command.matchAll(/\bdeno run\b[^&|;]*?\s([\w./-]+\.ts)\b/g)].map((match) => match[1]!)
  );
  return [...new Set([...fromTasks, ...Object.keys(STARTED_ENTRY_POINTS)])].sort();
}

/** Every `*_test.ts` under `root`, less dependencies, build output and AssemblyScript. */
export async function testFiles(root: string, dir = ""): Promise<string[]> {
  const files: string[] = [];
  for await (const entry of Deno.readDir(`${root}/${dir}`)) {
    const path = dir ? `${dir}/${entry.name}` : entry.name;
    if (entry.isDirectory && !SKIPPED_DIRS.has(path) && !entry.name.startsWith(".")) {
      files.push(...await testFiles(root, path));
    } else if (entry.isFile && entry.name.endsWith("_test.ts")) files.push(path);
  }
  return files.sort();
}

const SKIPPED_DIRS = new Set(["node_modules", "dist", "cni-wasm/assembly", "cni-wasm/build"]);

/** Every problem of `graph` under the rules above, one line each. */
export function importProblems(graph: ImportGraph, productEntries: string[]): string[] {
  const problems = importCycles(graph).map((cycle) => `import cycle: ${cycle.join(" → ")}`);
  problems.push(...boundaryViolations(graph, BOUNDARIES));
  for (const [module, node] of graph) {
    if (!isProductModule(module)) continue;
    for (const imported of [...node.code, ...node.types].filter(isTestModule).sort()) {
      problems.push(`${module} imports test code ${imported}: product code must not depend on tests`);
    }
  }
  for (const module of testOnlyModules(graph, productEntries, isProductModule, isTestModule)) {
    problems.push(`${module} is product code only tests import: move it to a test folder`);
  }
  return problems;
}

/** Checks the repository at `root`; returns its problems. */
export async function checkRepository(root = ROOT): Promise<string[]> {
  const tasks = JSON.parse(await Deno.readTextFile(`${root}/deno.json`)).tasks as Record<string, string>;
  const entries = productEntryPoints(tasks);
  for (const entry of entries) {
    await Deno.stat(`${root}/${entry}`).catch(() => {
      throw new Error(
        `product entry point ${entry} does not exist (deno.json tasks or STARTED_ENTRY_POINTS)`,
      );
    });
  }
  const graph = await importGraph(root, [...entries, ...await testFiles(root)]);
  return importProblems(graph, entries);
}

if (import.meta.main) {
  const problems = await checkRepository();
  for (const problem of problems) console.error(problem);
  if (problems.length > 0) Deno.exit(1);
  console.log("imports: no cycles, boundaries kept, no test-only product modules");
}
