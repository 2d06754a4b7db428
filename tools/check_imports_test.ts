import assert from "node:assert/strict";
import { importCycles, type ImportGraph, importGraph, reachable } from "./import_graph.ts";
import {
  checkRepository,
  importProblems,
  isProductModule,
  isTestModule,
  productEntryPoints,
} from "./check_imports.ts";
import { withFiles } from "../testing/files.ts";

/** A graph from `module: [code imports]` and optional `module: [type-only imports]`. */
function graph(code: Record<string, string[]>, types: Record<string, string[]> = {}): ImportGraph {
  const modules = new Set([...Object.keys(code), ...Object.keys(types)]);
  return new Map(
    [...modules].map((module) => [module, { code: new Set(code[module]), types: new Set(types[module]) }]),
  );
}

Deno.test("importGraph() keeps the repository's modules, value and type-only imports apart, npm and node: out", async () => {
  await withFiles("check-imports-test-", {
    "deno.json": "{}",
    "app/main.ts": 'import { b } from "./b.ts";\nimport assert from "node:assert/strict";\nassert.ok(b);\n',
    "app/b.ts": 'import type { A } from "./a.ts";\nexport const b: A = 1;\n',
    "app/a.ts": "export type A = number;\n",
    "app/lazy.ts": 'export const later = () => import("./a.ts");\n',
  }, async (dir) => {
    const found = await importGraph(dir, ["app/main.ts", "app/lazy.ts"]);
    assert.deepEqual([...found.keys()].sort(), ["app/a.ts", "app/b.ts", "app/lazy.ts", "app/main.ts"]);
    assert.deepEqual(found.get("app/main.ts"), { code: new Set(["app/b.ts"]), types: new Set() });
    assert.deepEqual(found.get("app/b.ts"), { code: new Set(), types: new Set(["app/a.ts"]) });
    assert.deepEqual(found.get("app/lazy.ts")?.code, new Set(["app/a.ts"]), "a dynamic import counts");
  });
});

Deno.test("importGraph() names a missing module and who imports it", async () => {
  await withFiles(
    "check-imports-test-",
    { "deno.json": "{}", "app/main.ts": 'import "./gone.ts";\n' },
    async (dir) => {
      await assert.rejects(
        importGraph(dir, ["app/main.ts"]),
        /Cannot load app\/gone\.ts \(imported by app\/main\.ts\)/,
      );
    },
  );
});

Deno.test("importCycles() finds every cycle, type-only and self imports included, and nothing else", () => {
  const cycles = importCycles(graph(
    { "a.ts": ["b.ts"], "b.ts": ["c.ts"], "d.ts": ["d.ts"], "e.ts": ["f.ts", "a.ts"], "f.ts": [] },
    { "c.ts": ["a.ts"] },
  ));
  assert.deepEqual(cycles, [["a.ts", "b.ts", "c.ts"], ["d.ts"]]);
  assert.deepEqual(importCycles(graph({ "a.ts": ["b.ts"], "b.ts": [], "c.ts": ["a.ts", "b.ts"] })), []);
});

Deno.test("importCycles() walks a long chain without running out of stack", () => {
  const chain: Record<string, string[]> = {};
  for (let i = 0; i < 50_000; i++) chain[`m${i}.ts`] = [`m${(i + 1) % 50_000}.ts`];
  assert.equal(importCycles(graph(chain))[0]?.length, 50_000);
});

Deno.test("importProblems(): macvtap ↔ hostdev, resources → either, product → test code, test-only product code", () => {
  const problems = importProblems(
    graph({
      "daemon/main.ts": ["daemon/macvtap/pool.ts", "daemon/hostdev/pool.ts", "daemon/uses_fake.ts"],
      "daemon/macvtap/pool.ts": ["daemon/hostdev/nics.ts", "daemon/resources/base.ts"],
      "daemon/hostdev/pool.ts": ["daemon/resources/base.ts"],
      "daemon/hostdev/nics.ts": [],
      "daemon/hostdev/pool_test.ts": ["daemon/macvtap/pool.ts", "daemon/hostdev/pool.ts"],
      "daemon/resources/base.ts": ["daemon/macvtap/names.ts"],
      "daemon/macvtap/names.ts": [],
      "daemon/uses_fake.ts": ["daemon/testing/fake.ts"],
      "daemon/testing/fake.ts": ["daemon/only_tests_use_me.ts"],
      "daemon/only_tests_use_me.ts": [],
    }),
    ["daemon/main.ts"],
  );
  assert.deepEqual(problems.map((p) => p.replace(/:.*/, "")), [
    "daemon/hostdev/pool_test.ts imports daemon/macvtap/pool.ts",
    "daemon/macvtap/pool.ts imports daemon/hostdev/nics.ts",
    "daemon/resources/base.ts imports daemon/macvtap/names.ts",
    "daemon/uses_fake.ts imports test code daemon/testing/fake.ts",
    "daemon/only_tests_use_me.ts is product code only tests import",
  ]);
});

Deno.test("test code and product code: test files and test folders are never product", () => {
  for (
    const module of [
      "daemon/testing/kubelet_double.ts",
      "deploy/checks/kustomize.ts",
      "tools/prepare_test.ts",
    ]
  ) {
    assert.ok(isTestModule(module) && !isProductModule(module), module);
  }
  for (const module of ["daemon/links/node_links.ts", "deploy/install_cni.ts", "tools/image_layout.ts"]) {
    assert.ok(!isTestModule(module) && isProductModule(module), module);
  }
  assert.ok(!isProductModule("conformance/main.ts") && !isProductModule("demo/main.ts"));
});

Deno.test("the product's entry points: what deno.json's tasks run, and the programs those start", async () => {
  const tasks = JSON.parse(await Deno.readTextFile(new URL("../deno.json", import.meta.url))).tasks;
  const entries = productEntryPoints(tasks);
  for (const entry of ["daemon/launch.ts", "daemon/main.ts", "deploy/install_cni.ts", "tools/image.ts"]) {
    assert.ok(entries.includes(entry), `${entry} in ${entries}`);
  }
  assert.deepEqual(productEntryPoints({ a: "deno run -A x/a.ts && deno run --allow-read y/b.ts arg.ts" }), [
    "daemon/main.ts",
    "deploy/install_cni.ts",
    "tools/build.ts",
    "x/a.ts",
    "y/b.ts",
  ]);
  assert.deepEqual([...reachable(graph({ "a.ts": ["b.ts"], "b.ts": [], "c.ts": ["a.ts"] }), ["a.ts"])], [
    "a.ts",
    "b.ts",
  ]);
});

Deno.test("the repository keeps its import rules", async () => {
  assert.deepEqual(await checkRepository(), []);
});
