// Every way the module or the host can fail ends as CNI error 999 on stdout,
// exit 1, with whatever the module had written to stdout discarded.
import assert from "node:assert/strict";
import { cniVersionOf, FALLBACK_CNI_VERSION } from "../../host/cni_error.ts";
import { parseHostArgs } from "../../host/main.ts";
import { errorObject, LIBC_PATH, probeDist, runHostDirect, runLauncher } from "./_probe_dist.ts";

for (
  const [scenario, kind] of [
    ["abort", /ModuleTrap: abort: probe abort at test\/harness\/host_probe\.ts:\d+:\d+/],
    ["unreachable", /RuntimeError: unreachable/],
    ["overflow", /RangeError: Maximum call stack size exceeded/],
    ["oom", /RuntimeError|ModuleTrap/],
  ] as const
) {
  Deno.test(`trap (${scenario}) → code 999 JSON in the config's version, half-written stdout discarded`, async () => {
    const run = await runLauncher([scenario], { stdin: '{"cniVersion":"0.4.0","name":"n"}' });
    assert.equal(run.code, 1);
    assert.ok(!run.stdout.includes("half"), run.stdout);
    const error = errorObject(run);
    assert.equal(error.cniVersion, "0.4.0");
    assert.equal(error.code, 999);
    assert.equal(error.msg, "macvtap plugin trapped");
    assert.match(error.details, kind);
    assert.match(run.stderr, /macvtap plugin trapped/);
  });
}

Deno.test("trap with a stdin that is not JSON → error printed in 1.1.0", async () => {
  const run = await runLauncher(["abort"], { stdin: "{not json" });
  assert.equal(run.code, 1);
  assert.equal(errorObject(run).cniVersion, FALLBACK_CNI_VERSION);
});

Deno.test("host failure: module file missing → code 999 JSON, exit 1", async () => {
  const dir = await probeDist();
  const run = await runHostDirect([`--allow-read=${dir}`], [`${dir}/missing.wasm`, LIBC_PATH], {
    stdin: '{"cniVersion":"1.0.0"}',
  });
  assert.equal(run.code, 1);
  const error = errorObject(run);
  assert.deepEqual([error.cniVersion, error.code, error.msg], ["1.0.0", 999, "macvtap plugin host failed"]);
  assert.match(error.details, /cannot load module ".*missing\.wasm": NotFound/);
});

Deno.test("host failure: libc missing → code 999 JSON when the module first needs it", async () => {
  const dir = await probeDist();
  const bogus = "/lib/no-such-libc.so.6";
  const run = await runHostDirect(
    [`--allow-read=${dir}`, `--allow-ffi=${bogus}`],
    [`${dir}/macvtap.wasm`, bogus, "--", "links", "-"],
  );
  assert.equal(run.code, 1);
  const error = errorObject(run);
  assert.equal(error.code, 999);
  assert.match(error.details, /Cannot open libc "\/lib\/no-such-libc\.so\.6"/);
  assert.ok(!run.stdout.includes("open="), "stdout before the failure is discarded");
});

Deno.test("host failure: libc is opened lazily, a module that needs no import runs without it", async () => {
  const dir = await probeDist();
  const run = await runHostDirect([`--allow-read=${dir}`], [
    `${dir}/macvtap.wasm`,
    "/lib/none.so",
    "--",
    "exit",
    "4",
  ]);
  assert.equal(run.code, 4);
  assert.equal(run.stdout, "partial output\n");
});

Deno.test("host failure: a module that imports something not granted fails to link → 999", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    // (module (import "env" "system" (func)) (memory (export "memory") 1) (func (export "_start")))
    const wasm = new Uint8Array([
      0,
      97,
      115,
      109,
      1,
      0,
      0,
      0,
      1,
      4,
      1,
      96,
      0,
      0,
      2,
      14,
      1,
      3,
      101,
      110,
      118,
      6,
      115,
      121,
      115,
      116,
      101,
      109,
      0,
      0,
      3,
      2,
      1,
      0,
      5,
      3,
      1,
      0,
      1,
      7,
      19,
      2,
      6,
      109,
      101,
      109,
      111,
      114,
      121,
      2,
      0,
      6,
      95,
      115,
      116,
      97,
      114,
      116,
      0,
      1,
      10,
      4,
      1,
      2,
      0,
      11,
    ]);
    await Deno.writeFile(`${tmp}/linked.wasm`, wasm);
    const run = await runHostDirect([`--allow-read=${tmp}`], [`${tmp}/linked.wasm`, LIBC_PATH]);
    assert.equal(run.code, 1);
    assert.match(errorObject(run).details, /Import #0 "env"/);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("host failure: bad host arguments → 999 JSON", async () => {
  const run = await runHostDirect([], ["only-one-argument"]);
  assert.equal(run.code, 1);
  assert.match(errorObject(run).details, /usage: main\.ts/);
});

Deno.test("host failure: an env variable not granted → 999 JSON naming it", async () => {
  const dir = await probeDist();
  const run = await runHostDirect(
    [`--allow-read=${dir}`, "--allow-env=CNI_COMMAND"],
    [`${dir}/macvtap.wasm`, LIBC_PATH, "--", "env"],
    { env: { CNI_COMMAND: "ADD" } },
  );
  assert.equal(run.code, 1);
  assert.match(errorObject(run).details, /NotCapable.*CNI_CONTAINERID/);
});

Deno.test("cniVersionOf: the config's version when it looks like one, else 1.1.0", () => {
  const bytes = (text: string) => new TextEncoder().encode(text);
  assert.equal(cniVersionOf(bytes('{"cniVersion":"0.3.1"}')), "0.3.1");
  assert.equal(cniVersionOf(bytes('{"cniVersion":7}')), "1.1.0");
  assert.equal(cniVersionOf(bytes('{"cniVersion":"1.0.0\\n\\"x"}')), "1.1.0");
  assert.equal(cniVersionOf(bytes("[]")), "1.1.0");
  assert.equal(cniVersionOf(bytes("")), "1.1.0");
});

Deno.test("parseHostArgs: positional wasm and libc, flags, module args after --", () => {
  const args = parseHostArgs([
    "/d/m.wasm",
    "/lib/libc.so.6",
    "--mode=stream",
    "--ipam-timeout-ms=500",
    "--",
    "a",
  ]);
  assert.deepEqual(
    [args.wasmPath, args.libcPath, args.mode, args.ipamTimeoutMs, args.moduleArgs],
    ["/d/m.wasm", "/lib/libc.so.6", "stream", 500, ["a"]],
  );
  assert.throws(() => parseHostArgs(["/d/m.wasm"]), /usage/);
  assert.throws(
    () => parseHostArgs(["/d/m.wasm", "/l", "--mode=batch"]),
    /Cannot parse host argument "--mode=batch"/,
  );
  assert.throws(() => parseHostArgs(["/d/m.wasm", "/l", "--timeout-program=timeout"]), /Cannot parse/);
  // timeout(1) reads 0 as "no limit": a zero IPAM timeout is refused, not passed on.
  assert.throws(() => parseHostArgs(["/d/m.wasm", "/l", "--ipam-timeout-ms=0"]), /Cannot parse/);
});
