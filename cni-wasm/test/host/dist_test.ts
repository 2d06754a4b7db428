// The installable CNI bin folder `deno task build` writes: dist/cni holds one static executable that runs
// when copied anywhere (or reached through a symlink), from any cwd, with `env -i` plus the CNI variables,
// and writes nothing to disk.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { runProgram } from "../../../testing/run_program.ts";

const DIST = fileURLToPath(new URL("../../../dist/cni", import.meta.url));
const PLUGIN = `${DIST}/macvtap`;

/** ELF program header types: an interpreter request, dynamic linking information. */
const PT_DYNAMIC = 2;
const PT_INTERP = 3;

/** The program header types of a 64-bit little-endian ELF executable. */
function programHeaderTypes(elf: Uint8Array): number[] {
  const view = new DataView(elf.buffer, elf.byteOffset, elf.byteLength);
  assert.deepEqual([...elf.subarray(0, 4)], [0x7f, 0x45, 0x4c, 0x46], "an ELF file");
  assert.equal(elf[4], 2, "64-bit");
  const [offset, size, count] = [
    Number(view.getBigUint64(0x20, true)),
    view.getUint16(0x36, true),
    view.getUint16(0x38, true),
  ];
  return Array.from({ length: count }, (_, i) => view.getUint32(offset + i * size, true));
}

async function tempDir(prefix: string): Promise<{ path: string } & AsyncDisposable> {
  const path = await Deno.makeTempDir({ prefix });
  return { path, [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }) };
}

Deno.test("dist/cni: exactly one file, macvtap, a static executable (no interpreter, no shared libraries)", async () => {
  assert.deepEqual([...Deno.readDirSync(DIST)].map((e) => e.name), ["macvtap"]);
  const info = await Deno.stat(PLUGIN);
  assert.ok((info.mode ?? 0) & 0o111, "executable");
  const types = programHeaderTypes(await Deno.readFile(PLUGIN));
  assert.ok(!types.includes(PT_INTERP), "no ELF interpreter: nothing of the node's libc is needed");
  assert.ok(!types.includes(PT_DYNAMIC), "no dynamic section");
});

Deno.test("dist: copied into another bin dir, runs from a foreign cwd under env -i and writes nothing", async () => {
  await using bin = await tempDir("mvtest-cnibin-");
  await using cwd = await tempDir("mvtest-cwd-");
  await Deno.copyFile(PLUGIN, `${bin.path}/macvtap`);
  await Deno.chmod(`${bin.path}/macvtap`, 0o755);
  await Deno.writeTextFile(`${cwd.path}/deno.json`, '{"imports": {"x": "./nope.ts"}}');
  const cacheBefore = await Deno.stat("/var/cache/macvtap-cni").then(() => true, () => false);
  const result = await runProgram("/usr/bin/env", [
    "-i",
    "CNI_COMMAND=VERSION",
    `${bin.path}/macvtap`,
  ], { cwd: cwd.path, stdin: '{"cniVersion":"1.0.0"}' });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stderr, "");
  assert.deepEqual(JSON.parse(result.stdout).supportedVersions, [
    "0.1.0",
    "0.2.0",
    "0.3.0",
    "0.3.1",
    "0.4.0",
    "1.0.0",
    "1.1.0",
  ]);
  assert.deepEqual(
    [...Deno.readDirSync(cwd.path)].map((e) => e.name),
    ["deno.json"],
    "nothing written to the cwd",
  );
  assert.deepEqual([...Deno.readDirSync(bin.path)].map((e) => e.name), ["macvtap"], "nor beside itself");
  const cacheAfter = await Deno.stat("/var/cache/macvtap-cni").then(() => true, () => false);
  assert.equal(cacheAfter, cacheBefore, "no cache folder on the host");
});

Deno.test("dist: a symlink to the plugin (e.g. from another bin dir) runs it", async () => {
  await using elsewhere = await tempDir("mvtest-link-");
  await Deno.symlink(PLUGIN, `${elsewhere.path}/macvtap`);
  const result = await runProgram(`${elsewhere.path}/macvtap`, [], {
    cwd: "/",
    env: { CNI_COMMAND: "VERSION" },
    stdin: '{"cniVersion":"0.4.0"}',
  });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(JSON.parse(result.stdout).cniVersion, "0.4.0");
});

Deno.test("dist: the WASI modules the executables were compiled from sit in dist/wasm for inspection", async () => {
  for (const name of ["macvtap.wasm", "broker.wasm"]) {
    const bytes = await Deno.readFile(fileURLToPath(new URL(`../../../dist/wasm/${name}`, import.meta.url)));
    assert.deepEqual([...bytes.subarray(0, 4)], [0x00, 0x61, 0x73, 0x6d], `${name} is a wasm module`);
    assert.ok(WebAssembly.validate(bytes), `${name} validates`);
  }
});
