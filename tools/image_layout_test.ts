/**
 * The image ships no test code: every TypeScript module the layout copies is one its programs load (the
 * daemon's launcher and main module, the CNI installer), and every module they load is copied.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { HOST_ARCH } from "./build.ts";
import { type ImageEntry, imageLayout } from "./image_layout.ts";
import { importGraph, reachable } from "./import_graph.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url)).replace(/\/$/, "");

/** The programs the image's containers run. */
const IMAGE_PROGRAMS = ["daemon/launch.ts", "daemon/main.ts", "deploy/install_cni.ts"];

/** The repository files (relative paths) an entry copies, after its `skip`. */
async function copiedFiles(entry: ImageEntry, relative = ""): Promise<string[]> {
  const source = relative ? `${entry.source}/${relative}` : entry.source;
  const info = await Deno.stat(source);
  if (!info.isDirectory) return [source.slice(ROOT.length + 1)];
  const files: string[] = [];
  for await (const item of Deno.readDir(source)) {
    const path = relative ? `${relative}/${item.name}` : item.name;
    if (!entry.skip?.(path, item.name)) files.push(...await copiedFiles(entry, path));
  }
  return files;
}

Deno.test("the image's TypeScript is exactly what its programs load: no test, benchmark or unused module", async () => {
  const layout = await imageLayout(HOST_ARCH, Deno.execPath());
  const fromRepository = layout.filter((entry) =>
    entry.source.startsWith(`${ROOT}/`) && !entry.source.startsWith(`${ROOT}/node_modules/`) &&
    !entry.source.startsWith(`${ROOT}/dist/`)
  );
  const copied = (await Promise.all(fromRepository.map((entry) => copiedFiles(entry)))).flat()
    .filter((path) => path.endsWith(".ts")).sort();
  const loaded = [...reachable(await importGraph(ROOT, IMAGE_PROGRAMS), IMAGE_PROGRAMS)]
    .filter((path) => path.endsWith(".ts")).sort();
  assert.ok(copied.includes("daemon/main.ts") && copied.includes("deploy/install_cni.ts"), `${copied}`);
  assert.deepEqual(copied.filter((path) => !loaded.includes(path)), [], "copied, but no program loads it");
  assert.deepEqual(loaded.filter((path) => !copied.includes(path)), [], "loaded, but not in the image");
});
